// rsslab counterpart protocol, version 1 — the Go side (see rsslab.h for the protocol itself).
//
// Compiled together with each Go counterpart (package main, standard library only). The program only
// says where it is: mark/tag/untag lines on fd 3, answered by "ack <seq>" on stdin once the parent has
// sampled; every measurement of RSS happens in the parent. What the parent cannot see from outside —
// the Go runtime's own view of its heap — is sent as report lines (runtime.MemStats, in bytes).
//
// When fd 3 is not a pipe, socket or file (the program run by hand), lines go to stderr and nothing
// waits. fd 3 is checked by type, not only by being open: the Go runtime opens its epoll descriptor
// lazily and, with no fd 3 inherited, that descriptor can itself land on 3.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type rsslabChannel struct {
	out    *os.File
	acks   *bufio.Reader
	seq    uint64
	phased bool
}

var rsslab = newRsslabChannel()

func newRsslabChannel() *rsslabChannel {
	var st syscall.Stat_t
	if err := syscall.Fstat(3, &st); err == nil {
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFIFO, syscall.S_IFSOCK, syscall.S_IFREG, syscall.S_IFCHR:
			return &rsslabChannel{out: os.NewFile(3, "rsslab"), acks: bufio.NewReader(os.Stdin)}
		}
	}
	return &rsslabChannel{out: os.Stderr}
}

func (c *rsslabChannel) connected() bool { return c.acks != nil }

func (c *rsslabChannel) line(s string) {
	// A parent that went away leaves nothing to tell: the write error is dropped on purpose.
	_, _ = c.out.WriteString(strings.ReplaceAll(s, "\n", " ") + "\n")
}

// waitAck blocks until the parent acks seq; EOF (a parent that vanished) ends the wait.
func (c *rsslabChannel) waitAck(seq uint64) {
	if !c.connected() {
		return
	}
	want := "ack " + strconv.FormatUint(seq, 10)
	for {
		got, err := c.acks.ReadString('\n')
		if strings.TrimSpace(got) == want || err != nil {
			return
		}
	}
}

// Phase closes the previous phase with the runtime's MemStats (so go.*@end:<phase> is the state the
// phase left behind), then marks the new one and waits until the parent has sampled the boundary.
func (c *rsslabChannel) Phase(id, label string) {
	if c.phased {
		c.MemStats()
	}
	c.phased = true
	c.seq++
	c.line(fmt.Sprintf("mark %d %s %s", c.seq, id, label))
	c.waitAck(c.seq)
}

// Tag asks the parent to measure the mapping that holds [addr, addr+bytes) on its own.
func (c *rsslabChannel) Tag(name string, addr uintptr, bytes int) {
	c.seq++
	c.line(fmt.Sprintf("tag %d %s 0x%x %d", c.seq, name, addr, bytes))
	c.waitAck(c.seq)
}

func (c *rsslabChannel) Untag(name string) {
	c.seq++
	c.line(fmt.Sprintf("untag %d %s", c.seq, name))
	c.waitAck(c.seq)
}

// Report sends numbers about the program's own state; a negative value is sent as null (unknown).
// keyValues alternates names and values: Report("live", 12, "survivors", 3).
func (c *rsslabChannel) Report(keyValues ...interface{}) {
	var b strings.Builder
	b.WriteString("report")
	for i := 0; i+1 < len(keyValues); i += 2 {
		fmt.Fprintf(&b, " %v=", keyValues[i])
		switch v := keyValues[i+1].(type) {
		case int:
			c.number(&b, int64(v))
		case int64:
			c.number(&b, v)
		case uint64:
			b.WriteString(strconv.FormatUint(v, 10))
		case uint32:
			b.WriteString(strconv.FormatUint(uint64(v), 10))
		case uintptr:
			b.WriteString(strconv.FormatUint(uint64(v), 10))
		default:
			b.WriteString("null")
		}
	}
	c.line(b.String())
}

func (c *rsslabChannel) number(b *strings.Builder, v int64) {
	if v < 0 {
		b.WriteString("null")
		return
	}
	b.WriteString(strconv.FormatInt(v, 10))
}

// MemStats reports the runtime's layers under the kernel's RSS, named as a Go user reads them:
// HeapAlloc (live + garbage not yet collected), HeapInuse − HeapAlloc (free slots in spans that hold
// an object), HeapIdle − HeapReleased (free spans the runtime keeps resident), HeapReleased (returned
// with madvise: MADV_DONTNEED drops RSS, MADV_FREE does not until the kernel needs the memory).
func (c *rsslabChannel) MemStats() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	c.Report(
		"go.heapAlloc", m.HeapAlloc,
		"go.heapInuse", m.HeapInuse,
		"go.heapIdle", m.HeapIdle,
		"go.heapReleased", m.HeapReleased,
		"go.heapSys", m.HeapSys,
		"go.sys", m.Sys,
		"go.numGC", m.NumGC,
		"go.inuseMinusAlloc", m.HeapInuse-m.HeapAlloc,
		"go.idleMinusReleased", m.HeapIdle-m.HeapReleased,
		// the runtime's own "live" figure under a name every runtime's program reports (V8: heapUsed + external)
		"heap.live", m.HeapAlloc,
	)
}

func (c *rsslabChannel) Log(format string, args ...interface{}) {
	c.line("log " + fmt.Sprintf(format, args...))
}

// Done closes the last phase with its MemStats, marks the end (the parent samples the state the
// work left, as it does for the replay's own 'end' mark) and tells the parent the work is finished.
func (c *rsslabChannel) Done() {
	c.Phase("end", "end")
	c.line("done")
}

// rsslabBytes parses a size flag: 256MiB, 1GiB, 4096 (binary units, as rsslab's CLI takes them).
func rsslabBytes(s string) (int, error) {
	units := []struct {
		suffix string
		mul    int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("%q is not a size (e.g. 256MiB)", s)
			}
			return int(n * float64(u.mul)), nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 256MiB)", s)
	}
	return n, nil
}

// rsslabSize is a size flag (-heap 256MiB).
type rsslabSize int

func (s *rsslabSize) String() string { return strconv.Itoa(int(*s)) }
func (s *rsslabSize) Set(v string) error {
	n, err := rsslabBytes(v)
	*s = rsslabSize(n)
	return err
}

// rsslabParse parses the program's arguments as rsslab passes them — key=value pairs, by the
// counterpart convention — and also as flags typed by hand (-key=value, -key value).
func rsslabParse() {
	args := make([]string, 0, len(os.Args)-1)
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") && strings.Contains(a, "=") {
			a = "-" + a
		}
		args = append(args, a)
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		os.Exit(2)
	}
	if flag.NArg() > 0 {
		rsslabFail("unexpected argument %q: arguments are key=value pairs", flag.Arg(0))
	}
}

// rsslabFail reports a bad argument the way rsslab's own CLI does: one line, exit 2.
func rsslabFail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func sleepMs(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }
