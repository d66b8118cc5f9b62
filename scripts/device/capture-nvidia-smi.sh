#!/usr/bin/env bash
# Captures real nvidia-smi output (every form InferAdmin and the stand-in use) on a machine with a GPU,
# into $OUT (default ./nvidia-smi-capture) as smi.tgz. Used to refresh test/fixtures/nvidia-smi/ from real hardware
# (see test/fixtures/nvidia-smi/h200-driver-580/README.md). The "held" forms need python3 with torch (CUDA build).
set -u
O=${OUT:-./nvidia-smi-capture}/smi
mkdir -p "$O"
F=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,power.draw,power.limit,temperature.gpu,driver_version
cap() { # name, args...
  local n=$1; shift
  { nvidia-smi "$@" >"$O/$n.out" 2>"$O/$n.err"; echo $? >"$O/$n.rc"; } ; echo "nvidia-smi $*" >"$O/$n.cmd"
}
cap banner
cap list -L
cap q -q
cap q-memory -q -d MEMORY
cap qx -q -x
cap loopq --query-gpu=$F --format=csv,noheader,nounits
cap loopq-header --query-gpu=$F --format=csv
cap loopq-units --query-gpu=$F --format=csv,noheader
cap extra --query-gpu=index,pci.bus_id,memory.reserved,compute_mode,mig.mode.current,persistence_mode,pstate,clocks.sm,clocks.max.sm,utilization.memory,fan.speed,power.default_limit,enforced.power.limit,temperature.memory,compute_cap,serial,vbios_version --format=csv
cap apps-empty --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits
cap apps-empty-header --query-compute-apps=pid,gpu_uuid,used_memory --format=csv
cap badfield --query-gpu=index,no.such.field --format=csv
cap badid -i 7 --query-gpu=index --format=csv,noheader
cap badid-uuid -i GPU-00000000-0000-0000-0000-000000000000 -L
cap badformat --query-gpu=index --format=xml
cap badopt --no-such-option
cap help-query-gpu --help-query-gpu
cap help-query-apps --help-query-compute-apps
cap topo topo -m
# loop form: real cadence and line shape (-lms 200 for ~2 s)
( timeout -s INT 2.2 nvidia-smi --query-gpu=$F --format=csv,noheader,nounits -lms 200 >"$O/loop-lms.out" 2>"$O/loop-lms.err"; echo $? >"$O/loop-lms.rc" )
# a process holding GPU memory: compute-apps and used memory with it
python3 - "$O" <<'PY' &
import sys, time, torch
x = torch.empty(int(3 * 1024**3), dtype=torch.uint8, device='cuda')
open(sys.argv[1] + '/holder.pid', 'w').write(str(__import__('os').getpid()))
time.sleep(12)
PY
for i in $(seq 1 100); do [ -s "$O/holder.pid" ] && break; sleep 0.2; done
sleep 1
cap apps-held --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits
cap apps-held-full --query-compute-apps=pid,process_name,gpu_uuid,gpu_bus_id,used_memory --format=csv
cap loopq-held --query-gpu=$F --format=csv,noheader,nounits
cap banner-held
cap q-held-memory -q -d MEMORY
cap pmon pmon -c 1
wait
rm -f "$O/holder.pid" # only a handshake with the holder process, not output
uname -a >"$O/uname.txt"; cat /proc/driver/nvidia/version >"$O/driver-version.txt" 2>&1
cd "$O/.." && tar czf smi.tgz smi && rm -rf smi && ls -la
