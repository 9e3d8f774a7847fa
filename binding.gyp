{
  "targets": [
    {
      "target_name": "rsslab",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/region.cc",
        "native/owned-buffer.cc",
        "native/thp.cc",
        "native/heap.cc",
        "native/allocator.cc",
        "native/workload.cc",
        "native/worker.cc",
        "native/train-cycle.cc",
        "native/train-cycle-js.cc",
        "native/lock.cc",
        "native/pagemap.cc",
        "native/advise_batch.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fno-exceptions"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
