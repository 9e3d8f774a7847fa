// One faiss IndexIVFFlat train/add/search/free cycle, replayed as its allocations (seed
// 000): the same block sizes, in the same order, on the same threads as faiss 1.7.3 makes them, with
// the same bytes written — without the arithmetic. Nothing here touches N-API or throws; errors are
// values, so it runs on any pthread (worker.cc's long-lived thread, a fresh one, or the JS thread).
#pragma once
#include <sys/types.h>
#include <cstddef>

namespace rsslab {

struct TrainCycleSpec {
  size_t rows;        // training vectors, also the vectors added (faiss: n)
  size_t dim;         // floats per vector (d)
  size_t nlist;       // inverted lists = k-means centroids
  size_t iterations;  // k-means iterations (IVF's ClusteringParameters: 10)
  size_t sampleRows;  // k-means subsample (faiss: 256 per centroid), copied out of the training array
  size_t chunkRows;   // IndexIVF::add_with_ids adds in slices of 65536
  size_t blockBytes;  // exhaustive_L2sqr_blas's ip_block: 4096 x 1024 floats = 16 MiB per call
  size_t team;        // OpenMP threads: the cycle's thread plus team - 1 helpers it keeps for life
  size_t queries;     // search queries at the end of the cycle
  size_t nprobe;
  size_t seed;        // which lists k-means merges and splits this cycle
};

struct TrainCycleResult {
  int err = 0;              // 0 or an errno value
  const char* syscall = "malloc";  // what failed: malloc (ENOMEM) or pthread_create (an OpenMP helper)
  pid_t tid = 0;            // the thread that allocated the cycle's blocks
  pid_t freeTid = 0;        // the thread that freed them (the same, as in faiss)
  pid_t helperTid = 0;      // the first OpenMP helper (0 without one)
  size_t peakBytes = 0;     // most bytes live at once during the cycle
  size_t allocations = 0;   // malloc calls made
};

constexpr size_t kMaxTeam = 16;  // threads in a team, the cycle's own included

// Runs one cycle on the calling thread; every block is freed before it returns.
TrainCycleResult RunTrainCycle(const TrainCycleSpec& spec);

}  // namespace rsslab
