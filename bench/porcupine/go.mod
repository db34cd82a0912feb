module raftkit.local/bench/porcupine

go 1.18
