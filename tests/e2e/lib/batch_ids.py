"""custom_id of a run --batch line, as src/run/batch.c makes it (llmt_batch_custom_id):
"llmt-" + 16 hex digits of llmt_hash64 chained over task, case, model ref and repeat.
Usage: batch_ids.py TASK CASE MODEL_REF REPEAT"""
import sys

M = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def hash64(s, seed):
    h = 0xCBF29CE484222325 ^ seed
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & M
    return splitmix64(h)


def custom_id(task, case, model_ref, repeat):
    h = hash64(task, 0x6C6C6D74)
    for part in (case, model_ref, str(repeat)):
        h = hash64(part, h)
    return "llmt-%016x" % h


if __name__ == "__main__":
    print(custom_id(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
