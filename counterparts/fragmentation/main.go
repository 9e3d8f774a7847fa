// Seed 002 (go-ipfs: pprof says 76 MB, ps says 256 MB) on the Go runtime: a burst of requests, each
// allocating many small short-lived objects and keeping one in K (a cache entry, a peer record) —
// in runs of C neighbours, as related survivors are. The survivors stay in the spans they were
// allocated from, so after the burst is collected those spans stay in use (HeapInuse − HeapAlloc:
// free slots in spans that hold a survivor), and RSS stays far above the live bytes even after
// debug.FreeOSMemory() returns every free span. GOGC (from the environment) sets how much garbage
// piles up between collections during the burst; -pool copies survivors into 1 MiB slabs of their
// own (an arena), so the burst's spans empty completely and go back.
package main

import (
	"flag"
	"runtime"
	"runtime/debug"
)

const slabBytes = 1 << 20

// arena keeps long-lived objects on pages of their own.
type arena struct{ slabs [][]byte }

func (a *arena) keep(b []byte) []byte {
	n := len(a.slabs)
	if n == 0 || len(a.slabs[n-1])+len(b) > cap(a.slabs[n-1]) {
		a.slabs = append(a.slabs, make([]byte, 0, slabBytes))
		n++
	}
	s := a.slabs[n-1]
	start := len(s)
	s = append(s, b...)
	a.slabs[n-1] = s
	return s[start : start+len(b) : start+len(b)]
}

// layers reports the heap under the names the replay gives jemalloc's figures (layer.*), so the two
// are read side by side: HeapAlloc ~ allocated, HeapInuse − HeapAlloc ~ active − allocated,
// HeapIdle − HeapReleased ~ dirty + muzzy, HeapReleased ~ retained.
func layers() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rsslab.Report(
		"layer.live", m.HeapAlloc,
		"layer.free", m.HeapInuse-m.HeapAlloc,
		"layer.dirty", m.HeapIdle-m.HeapReleased,
		"layer.released", m.HeapReleased,
	)
}

func main() {
	var burst, minBlock, maxBlock rsslabSize = 256 << 20, 64, 256
	flag.Var(&burst, "burst", "bytes of small objects allocated in the burst")
	flag.Var(&minBlock, "min-block", "smallest object")
	flag.Var(&maxBlock, "max-block", "largest object")
	keepEvery := flag.Int("keep-every", 100, "one object in K outlives the burst")
	cluster := flag.Int("cluster", 1, "survivors come in runs of this many neighbours (one run per K×cluster objects)")
	perRequest := flag.Int("per-request", 4096, "objects a request allocates before it ends and drops its short-lived ones")
	pool := flag.Bool("pool", false, "copy survivors into an arena of their own")
	rsslabParse()
	if minBlock < 1 || maxBlock < minBlock || *keepEvery < 1 || *cluster < 1 || *perRequest < 1 {
		rsslabFail("need 1 <= min-block <= max-block, keep-every >= 1, cluster >= 1, per-request >= 1")
	}

	rsslab.Phase("baseline", "a fresh Go process")
	var survivors [][]byte
	var pooled arena
	live := 0
	rsslab.Phase("burst", "requests allocate small objects, keeping one in K")
	span := int(maxBlock-minBlock) + 1
	allocated := 0
	seed := uint32(2463534242)
	group := *keepEvery * *cluster
	for i := 0; allocated < int(burst); {
		request := make([][]byte, 0, *perRequest)
		for j := 0; j < *perRequest && allocated < int(burst); j, i = j+1, i+1 {
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			b := make([]byte, int(minBlock)+int(seed)%span)
			for k := 0; k < len(b); k += 64 {
				b[k] = byte(i)
			}
			allocated += len(b)
			if i%group < *cluster {
				if *pool {
					b = pooled.keep(b)
				}
				survivors = append(survivors, b)
				live += len(b)
			} else {
				request = append(request, b)
			}
		}
		runtime.KeepAlive(request) // the request ends: its short-lived objects become garbage
	}
	rsslab.Report("live", live, "survivors", len(survivors), "allocated", allocated)
	layers()

	rsslab.Phase("freed", "the burst is over: runtime.GC() collects what is left of it")
	runtime.GC()
	rsslab.Report("live", live, "survivors", len(survivors))
	layers()

	rsslab.Phase("purged", "debug.FreeOSMemory(): every free span goes back to the kernel")
	debug.FreeOSMemory()
	rsslab.Report("live", live, "survivors", len(survivors))
	layers()
	runtime.KeepAlive(survivors)
	runtime.KeepAlive(pooled.slabs)
	rsslab.Done()
}
