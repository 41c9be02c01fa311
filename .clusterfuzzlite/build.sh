#!/bin/bash -eu
# Builds every harness of fuzz/ for ClusterFuzzLite / OSS-Fuzz (runs in the base-builder-python
# image, WORKDIR = the checkout). tests/test_fuzz_cflite.py dry-runs it in CI with stubs for
# pip3 and compile_python_fuzzer (no docker engine there); keep it to these three steps.

# 1. the project and its dependencies, with the server's (server_body fuzzes the Starlette app;
#    atheris is in the base image)
pip3 install ".[server]"

# 2. seed corpora (<t>_seed_corpus.zip), dictionaries (<t>.dict), options (<t>.options)
python3 -m ihp_fuzz.cflite fuzz "$OUT"

# 3. one PyInstaller-packaged fuzzer per harness
for harness in $(python3 -m ihp_fuzz.cflite --list); do
  compile_python_fuzzer "fuzz/${harness}.py"
done
