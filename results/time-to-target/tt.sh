#!/bin/bash
# tt.sh SEED: seconds from the command to each epoch's line, stopped at 99.4% or after 6 epochs
s=$1; name=tt-s$s
cd /work/runtree-git
export PYTHONPATH=/work/runtree-git MNIST_KERAS_DATA=/work/data TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
rm -rf /work/bg/runs/$name
t0=$(date +%s.%N)
/work/main/.venv/bin/python -m mnist_keras.train --seed $s --out /work/bg/runs --name $name > /work/bg/runs-$name.log 2>&1 &
pid=$!; seen=0
while kill -0 $pid 2>/dev/null; do
  f=/work/bg/runs/$name/history.csv
  if [ -f $f ]; then n=$(($(wc -l < $f)-1)); if [ $n -gt $seen ]; then seen=$n; acc=$(tail -1 $f | cut -d, -f6); echo "seed $s epoch $n val $acc at $(echo "$(date +%s.%N) - $t0" | bc) s from the command"; if [ $(echo "$acc >= 0.994" | bc) = 1 ] || [ $n -ge 6 ]; then kill $pid; fi; fi; fi
  sleep 0.5
done
