// Seed 004 on the Go runtime: the seed's server never called madvise; its huge pages came from THP
// "enabled=always", and its freed heap came back as huge pages while it idled. This program lays out
// its heap the way the Bugzilla loop lays out its region — in every 2 MiB, one long-lived 8 KiB object
// (one runtime page, a span of its own) after a 2 MiB − 8 KiB object — touches it, drops the large
// objects and calls debug.FreeOSMemory() (what the background scavenger does over minutes), then idles.
//
// The program itself makes no madvise call. What the runtime does when it returns the free runs is
// Go 1.19's (runtime/mem_linux.go, sysUnusedOS): before the MADV_DONTNEED of a run it marks the huge
// pages holding the run's unaligned ends MADV_NOHUGEPAGE (golang/go#8832) — and every 2 MiB block that
// keeps a live page is such an end. khugepaged skips those blocks, so RSS stays down: Go 1.5–1.21.0's
// workaround at work. Go 1.21.1 dropped it, which is how the seed's server regrew; no setting of Go
// 1.19 turns it off (physHugePageSize is read from sysfs at start-up).
package main

import (
	"flag"
	"runtime"
	"runtime/debug"
	"unsafe"
)

const (
	hugeBytes = 2 << 20
	// the runtime's page: a span of the 8192-byte size class holds one object and nothing else
	keepBytes = 8 << 10
)

var kept [][]byte

func touch(b []byte, v byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = v
	}
}

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

func main() {
	var heap rsslabSize = 256 << 20
	flag.Var(&heap, "heap", "bytes of heap laid out as 2 MiB blocks (a multiple of 2 MiB)")
	idleMs := flag.Int("idle-ms", 15000, "idle time after the heap is returned")
	rsslabParse()
	if heap <= 0 || heap%hugeBytes != 0 {
		rsslabFail("-heap %d must be a positive multiple of 2 MiB (e.g. 256MiB)", heap)
	}
	blocks := int(heap) / hugeBytes

	rsslab.Phase("map", "Go heap: in every 2 MiB a 2 MiB − 8 KiB object, then an 8 KiB one kept live")
	// No collection while the layout is built: the page allocator hands out the lowest free pages,
	// so large, small, large, small… sit next to each other, one small span per 2 MiB.
	old := debug.SetGCPercent(-1)
	large := make([][]byte, 0, blocks)
	kept = make([][]byte, 0, blocks)
	// An 8 KiB object lands in the lowest free page: holes left by the runtime's start-up come
	// first. Those are filled (and kept, a few KiB) until the object sits right after its large one.
	var fillers [][]byte
	misplaced := 0
	for i := 0; i < blocks; i++ {
		l := make([]byte, hugeBytes-keepBytes)
		k := make([]byte, keepBytes)
		for tries := 0; addr(k) != addr(l)+uintptr(len(l)) && tries < 4096; tries++ {
			fillers = append(fillers, k)
			k = make([]byte, keepBytes)
		}
		if addr(k) != addr(l)+uintptr(len(l)) {
			misplaced++
		}
		large = append(large, l)
		kept = append(kept, k)
	}
	start, end := addr(large[0]), addr(kept[blocks-1])+keepBytes
	rsslab.Tag("main", start, int(end-start))
	rsslab.Report("layout.blocks", blocks, "layout.misplaced", misplaced, "layout.fillers", len(fillers), "layout.startOffset", int(start%hugeBytes))

	rsslab.Phase("touch", "write one byte in every page")
	for i := range large {
		touch(large[i], 1)
		touch(kept[i], 1)
	}

	rsslab.Phase("free", "drop the large objects, debug.FreeOSMemory(): the runtime returns every free run")
	large = nil
	debug.SetGCPercent(old)
	debug.FreeOSMemory()

	rsslab.Phase("idle", "nothing runs; khugepaged scans")
	sleepMs(*idleMs)

	runtime.KeepAlive(kept)
	runtime.KeepAlive(fillers)
	rsslab.Done()
}
