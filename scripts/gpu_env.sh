# Sourced by the lent-GPU scripts (gpu_library.sh, gpu_sweep.sh): run from the repository root with
# the packages gpu_pack.py carried in .gpu/site on the path, and unbuffered output for the tool's log.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/.gpu/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
