{
  "targets": [
    {
      "target_name": "rftbench_native",
      "sources": ["addon.cc", "conv_gemm.cc", "batch_norm.cc", "winograd.cc", "direct_conv.cc", "pooling.cc", "gemm.cc", "sgd.cc", "filter_cache.cc", "thread_pool.cc"],
      "include_dirs": ["<!@(node -p \"process.env.RFTBENCH_CBLAS_INCLUDE || '/usr/include/x86_64-linux-gnu/openblas-pthread'\")"],
      "libraries": ["-lopenblas"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
