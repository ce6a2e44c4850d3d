#!/bin/sh
# layers.sh -- keeps sim/ laid out as its architecture (docs/architecture.md): every include points down
# a layer or stays inside its own folder, a folder is seen from outside only through its one header,
# and only the network layer's send path (sim/net/send.c) calls SimGrid's send and mailbox-put functions.
# Usage: layers.sh SOURCE_DIR. Prints each breach and exits 1 if there is any.
cd "$1" || exit 2
order="base hw model net scenario run wl cli"
rank() { i=0; for l in $order; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo 99; }
fail=0
for f in sim/*/*.c sim/*/*.h sim/racksim.c; do
  dir=$(dirname "$f"); layer=$(basename "$dir"); [ "$dir" = sim ] && layer=main
  mine=$(rank "$layer")
  grep -o '^#include "[^"]*"' "$f" | sed 's/#include "//; s/"$//' | while read -r inc; do
    to=${inc%%/*}
    if [ "$to" = "$inc" ]; then echo "$f: include \"$inc\" names no layer folder"; echo x >&3; continue; fi
    [ "$to" = "$layer" ] && continue
    if [ "$inc" != "$to/$to.h" ]; then echo "$f: includes $inc, not the face $to/$to.h of layer $to"; echo x >&3; fi
    if [ "$(rank "$to")" -ge "$mine" ]; then echo "$f: includes $inc, which is not below layer $layer"; echo x >&3; fi
  done
done 3>/tmp/layers.$$ 
[ -s /tmp/layers.$$ ] && fail=1
rm -f /tmp/layers.$$
# SimGrid's send functions: only the send path may call them, so that the meter counts every byte.
sends=$(grep -rlE '\b(sg_mailbox_put|sg_mailbox_put_async|sg_mailbox_put_init|sg_host_sendto|sg_comm_wait_all|sg_actor_parallel_exec|sg_actor_parallel_exec_init)[[:space:]]*\(' sim | grep -v '^sim/net/send.c$')
if [ -n "$sends" ]; then
  for f in $sends; do echo "$f: calls a SimGrid send function; go through rs_net_* (sim/net/send.c)"; done
  fail=1
fi
# The run, service and command layers know no workload kind by name.
kinds=$(grep -nE 'RS_WL_(COLLECTIVE|TRAINING|INFERENCE|AGENTIC)|"(collective|training|inference|agentic)"' sim/run/*.c sim/run/*.h sim/wl/service.c sim/cli/*.c sim/racksim.c)
if [ -n "$kinds" ]; then echo "$kinds" | sed 's/$/: names a workload kind/'; fail=1; fi
[ $fail = 0 ] && echo "layers: every include points down, one face per layer, one send path, no kind known below wl/"
exit $fail
