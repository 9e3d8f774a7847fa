// Seed 001 on the Go runtime: a batch job reads a large input, decodes it into many small objects,
// drops them, then runs its next step inside a memory limit. The runtime collects garbage only when
// the heap reaches its goal (GOGC: twice the heap that was live at the last collection), so the
// dropped batch is still in the heap when the next one is decoded, and the heap grows past the
// container's limit: the OOM kill of the seed. What each -release does before the next step:
//
//	none            nothing (the seed's first version)
//	gc              runtime.GC(): the batch is collected, the next one reuses its spans (the seed's fix)
//	free-os-memory  debug.FreeOSMemory(): collected and returned to the kernel too
//
// and through the environment: GOGC=<lower> (collect earlier), GOMEMLIMIT=<bytes> (collect harder
// near a limit the runtime knows about, Go ≥ 1.19).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Record is one decoded message: several small objects, like a protobuf message with nested fields.
type Record struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Tags    []string `json:"tags"`
	Score   float64  `json:"score"`
	TS      int64    `json:"ts"`
	Geo     *Geo     `json:"geo"`
	Payload string   `json:"payload"`
	Bytes   []byte   `json:"-"`
}

type Geo struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// encode builds the input as the file holds it: newline-delimited records, about inputBytes long
// (the same record shape as the replay's, so the decoded-to-encoded ratio is comparable).
func encode(inputBytes, payloadMax int, batch int) []byte {
	var b bytes.Buffer
	b.Grow(inputBytes + 4096)
	for i := 0; b.Len() < inputBytes; i++ {
		n := 16 + (i*2654435761+batch)%maxInt(1, payloadMax-16)
		b.WriteString(`{"id":`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`,"name":"user-`)
		b.WriteString(strconv.FormatInt(int64(i), 36))
		b.WriteString(`","tags":["t`)
		b.WriteString(strconv.Itoa(i % 97))
		b.WriteString(`","g`)
		b.WriteString(strconv.Itoa(i % 13))
		b.WriteString(`","x`)
		b.WriteString(strconv.Itoa(i % 7))
		b.WriteString(`"],"score":`)
		b.WriteString(strconv.FormatFloat(float64((i*7919)%1000)/10, 'f', -1, 64))
		b.WriteString(`,"ts":`)
		b.WriteString(strconv.Itoa(1_700_000_000_000 + i))
		b.WriteString(`,"geo":{"lat":`)
		b.WriteString(strconv.Itoa(i%180 - 90))
		b.WriteString(`,"lon":`)
		b.WriteString(strconv.Itoa(i%360 - 180))
		b.WriteString(`},"payload":"`)
		b.Write(bytes.Repeat([]byte{'p'}, n))
		b.WriteString("\"}\n")
	}
	return b.Bytes()
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// decode materialises every record; the payload is copied into its own []byte as a bytes field is.
func decode(input []byte) []*Record {
	out := make([]*Record, 0, len(input)/200)
	for len(input) > 0 {
		e := bytes.IndexByte(input, '\n')
		if e < 0 {
			e = len(input)
		}
		r := &Record{}
		if err := json.Unmarshal(input[:e], r); err != nil {
			rsslabFail("decode: %v", err)
		}
		r.Bytes = []byte(r.Payload)
		r.Payload = ""
		out = append(out, r)
		if e == len(input) {
			break
		}
		input = input[e+1:]
	}
	return out
}

var keep []*Record

func main() {
	var inputBytes, payloadMax rsslabSize = 128 << 20, 256
	flag.Var(&inputBytes, "input", "bytes of input per batch")
	flag.Var(&payloadMax, "payload-max", "largest per-record payload")
	release := flag.String("release", "none", "what happens after the batch is dropped: none | gc | free-os-memory")
	idleMs := flag.Int("idle-ms", 2000, "idle time before the next batch")
	next := flag.Bool("next", true, "decode the next batch after the idle time")
	rsslabParse()
	switch *release {
	case "none", "gc", "free-os-memory":
	default:
		rsslabFail("-release %q: use none, gc or free-os-memory", *release)
	}

	rsslab.Phase("baseline", "a fresh Go process")
	rsslab.Phase("read", "read the first batch")
	input := encode(int(inputBytes), int(payloadMax), 0)
	rsslab.Report("records", 0, "input.bytes", len(input))

	rsslab.Phase("decode", "decode it into objects")
	records := decode(input)
	rsslab.Report("records", len(records))

	rsslab.Phase("dropped", "references dropped, not collected")
	records = nil
	input = nil

	rsslab.Phase("release", "release: "+*release)
	switch *release {
	case "gc":
		runtime.GC()
	case "free-os-memory":
		debug.FreeOSMemory()
	}

	rsslab.Phase("idle", "idle")
	sleepMs(*idleMs)

	if *next {
		rsslab.Phase("next", "read and decode the next batch")
		input = encode(int(inputBytes), int(payloadMax), 1)
		keep = decode(input)
		rsslab.Report("records", len(keep))
	}
	runtime.KeepAlive(input)
	rsslab.Done()
}
