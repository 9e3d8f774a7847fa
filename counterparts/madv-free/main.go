// Seed 003 on the Go runtime itself: a heap is allocated, dropped and returned to the kernel by the
// runtime (debug.FreeOSMemory, what the background scavenger does over minutes). With
// GODEBUG=madvdontneed=0 Go 1.19 returns it with MADV_FREE — Go 1.12–1.15's default — so RSS stays and
// LazyFree grows; with madvdontneed=1 (the default since 1.16) RSS drops at once. With -return none the
// runtime keeps the dropped heap (GOGC=off also keeps the scavenger from returning it). Then part of
// the heap is allocated again (the runtime reuses its returned spans: the writes cancel MADV_FREE), and
// with -pressure another consumer in the same memory cgroup maps and touches a fixed amount: the
// kernel has to reclaim lazily freed pages to make room — or, with nothing returned, OOM-kill us.
package main

import (
	"flag"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

const chunkBytes = 1 << 20

var sink [][]byte

func touch(b []byte, v byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = v
	}
}

func main() {
	var heap, write, pressure rsslabSize = 256 << 20, 64 << 20, 0
	flag.Var(&heap, "heap", "bytes of heap to allocate, touch and drop")
	flag.Var(&write, "write", "bytes of heap allocated again after the return")
	flag.Var(&pressure, "pressure", "bytes another consumer maps and touches afterwards (0: none)")
	holdMs := flag.Int("hold-ms", 2000, "idle time after the return")
	ret := flag.String("return", "free-os-memory", "how the dropped heap goes back: free-os-memory | none")
	rsslabParse()
	if *ret != "free-os-memory" && *ret != "none" {
		rsslabFail("-return %q: use free-os-memory or none", *ret)
	}
	if write > heap {
		rsslabFail("-write (%d) must be at most -heap (%d)", write, heap)
	}

	rsslab.Phase("map", "Go heap: allocate")
	chunks := make([][]byte, 0, int(heap)/chunkBytes)
	for len(chunks)*chunkBytes < int(heap) {
		chunks = append(chunks, make([]byte, chunkBytes))
	}
	rsslab.Report("go.heapBytes", int(heap))

	rsslab.Phase("touch", "write every page of the heap")
	for _, c := range chunks {
		touch(c, 0x11)
	}

	if *ret == "none" {
		rsslab.Phase("free", "drop the heap and collect it; nothing is returned to the kernel")
		chunks = nil
		runtime.GC()
	} else {
		rsslab.Phase("free", "drop the heap, debug.FreeOSMemory(): the runtime madvises every free span")
		chunks = nil
		debug.FreeOSMemory()
	}

	rsslab.Phase("hold", "idle")
	sleepMs(*holdMs)

	rsslab.Phase("write", "allocate part of the heap again (the runtime reuses its returned spans)")
	for n := 0; n < int(write); n += chunkBytes {
		c := make([]byte, chunkBytes)
		touch(c, 0x22)
		sink = append(sink, c)
	}

	var m []byte
	if pressure > 0 {
		rsslab.Phase("pressure", "another consumer in the cgroup maps and touches a fixed amount")
		var err error
		m, err = syscall.Mmap(-1, 0, int(pressure), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			rsslabFail("mmap %d bytes: %v", pressure, err)
		}
		// Small pages, so the mapping grows by exactly what is touched whatever the THP mode.
		_ = syscall.Madvise(m, 15 /* MADV_NOHUGEPAGE */)
		rsslab.Tag("pressure", uintptr(unsafe.Pointer(&m[0])), len(m))
		touch(m, 0x33)
		rsslab.Report("pressure.allocatedBytes", len(m))
	}
	rsslab.Phase("check", "what is left (the consumer's mapping released first)")
	if m != nil {
		rsslab.Untag("pressure")
		_ = syscall.Munmap(m)
	}
	runtime.KeepAlive(sink)
	rsslab.Done()
}
