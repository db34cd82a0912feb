// Command porcupine-driver checks the histories exported by raftkit's checker benchmark
// (`npm run bench -- checker --export=<dir>`) with Porcupine
// (github.com/anishathalye/porcupine), using models equivalent to raftkit's registerModel
// and kvModel, and prints one JSON line per history: verdict, wall and CPU milliseconds.
//
// It is a measuring instrument only: it is not part of the package, the tests or CI.
// See README.md for how to build it against a local copy of Porcupine.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

// exported is one history as the benchmark writes it.
type exported struct {
	Name    string      `json:"name"`
	Cls     string      `json:"cls"`
	Model   string      `json:"model"`
	Order   int         `json:"order"`
	History []jsonEntry `json:"history"`
}

// jsonEntry is raftkit's portable history format (historyToJSON): failed operations are
// absent; an unknown outcome has "return": null and "output": null.
type jsonEntry struct {
	ClientID json.RawMessage `json:"clientId"`
	Input    json.RawMessage `json:"input"`
	Output   json.RawMessage `json:"output"`
	Call     float64         `json:"call"`
	Return   *float64        `json:"return"`
}

type result struct {
	Name    string  `json:"name"`
	Cls     string  `json:"cls"`
	Order   int     `json:"order"`
	Ops     int     `json:"ops"`
	Verdict string  `json:"verdict"`
	WallMs  float64 `json:"wallMs"`
	CPUMs   float64 `json:"cpuMs"`
}

func cpuMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// toOperations converts the exported entries: times are replaced by their rank among the
// history's finite times (the checkers only compare times, ties included), and an unknown
// outcome returns at +infinity (math.MaxInt64) with a nil output.
func toOperations(h []jsonEntry, decode func(in, out json.RawMessage) (interface{}, interface{})) []porcupine.Operation {
	var times []float64
	for _, e := range h {
		times = append(times, e.Call)
		if e.Return != nil {
			times = append(times, *e.Return)
		}
	}
	sort.Float64s(times)
	rank := map[float64]int64{}
	for _, t := range times {
		if _, ok := rank[t]; !ok {
			rank[t] = int64(len(rank))
		}
	}
	ops := make([]porcupine.Operation, 0, len(h))
	for i, e := range h {
		in, out := decode(e.Input, e.Output)
		ret := int64(math.MaxInt64)
		if e.Return != nil {
			ret = rank[*e.Return]
		}
		ops = append(ops, porcupine.Operation{ClientId: i, Input: in, Call: rank[e.Call], Output: out, Return: ret})
	}
	return ops
}

func main() {
	budget := flag.Duration("budget", 2*time.Second, "per-history budget (CheckOperationsTimeout)")
	repeat := flag.Int("repeat", 2, "runs per history; the fastest decided one is kept")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: porcupine-driver [-budget 2s] [-repeat 2] <export dir>")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(flag.Arg(0), "*.json"))
	if err != nil {
		panic(err)
	}
	sort.Strings(files)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(os.Stderr, "porcupine driver: %d histories, budget %v, GOMAXPROCS %d, %s\n", len(files), *budget, runtime.GOMAXPROCS(0), runtime.Version())
	for _, f := range files {
		if strings.HasSuffix(f, "manifest.json") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var x exported
		if err := json.Unmarshal(data, &x); err != nil {
			panic(fmt.Errorf("%s: %w", f, err))
		}
		var model porcupine.Model
		var ops []porcupine.Operation
		switch x.Model {
		case "kv":
			model, ops = kvModel(), toOperations(x.History, decodeKv)
		case "register":
			model, ops = registerModel(), toOperations(x.History, decodeRegister)
		default:
			panic("unknown model " + x.Model)
		}
		best := result{Name: x.Name, Cls: x.Cls, Order: x.Order, Ops: len(ops), WallMs: math.Inf(1)}
		for r := 0; r < *repeat; r++ {
			runtime.GC()
			c0, t0 := cpuMs(), time.Now()
			verdict := porcupine.CheckOperationsTimeout(model, ops, *budget)
			wall, cpu := float64(time.Since(t0).Nanoseconds())/1e6, cpuMs()-c0
			if r > 0 && verdict != porcupine.CheckResult(best.Verdict) && verdict != porcupine.Unknown && best.Verdict != string(porcupine.Unknown) {
				panic(fmt.Sprintf("%s#%d: verdict changed between runs: %s then %s", x.Name, x.Order, best.Verdict, verdict))
			}
			if wall < best.WallMs || (best.Verdict == string(porcupine.Unknown) && verdict != porcupine.Unknown) {
				best.Verdict, best.WallMs, best.CPUMs = string(verdict), wall, cpu
			}
			if verdict == porcupine.Unknown {
				break
			}
		}
		line, _ := json.Marshal(best)
		fmt.Fprintln(w, string(line))
		w.Flush()
	}
}

// ---- register model (raftkit's registerModel) ----

type regInput struct {
	Op       string          `json:"op"`
	Value    json.RawMessage `json:"value"`
	Expected json.RawMessage `json:"expected"`
}

type regOutput struct {
	Op      string          `json:"op"`
	Value   json.RawMessage `json:"value"`
	Swapped bool            `json:"swapped"`
}

// register values are JSON primitives, compared by their JSON text ("null" initially).
type regIn struct {
	op, value, expected string
}

type regOut struct {
	op, value string
	swapped   bool
}

func decodeRegister(in, out json.RawMessage) (interface{}, interface{}) {
	var i regInput
	if err := json.Unmarshal(in, &i); err != nil {
		panic(err)
	}
	input := regIn{op: i.Op, value: jsonText(i.Value), expected: jsonText(i.Expected)}
	if isNull(out) {
		return input, nil
	}
	var o regOutput
	if err := json.Unmarshal(out, &o); err != nil {
		panic(err)
	}
	return input, regOut{op: o.Op, value: jsonText(o.Value), swapped: o.Swapped}
}

func registerModel() porcupine.Model {
	return porcupine.Model{
		Init: func() interface{} { return "null" },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			s := state.(string)
			in := input.(regIn)
			if output == nil { // unknown outcome: any output
				switch in.op {
				case "write":
					return true, in.value
				case "cas":
					if s == in.expected {
						return true, in.value
					}
				}
				return true, s
			}
			out := output.(regOut)
			if out.op != in.op {
				return false, s
			}
			switch in.op {
			case "read":
				return out.value == s, s
			case "write":
				return true, in.value
			case "cas":
				swapped := s == in.expected
				if out.swapped != swapped {
					return false, s
				}
				if swapped {
					return true, in.value
				}
				return true, s
			}
			panic("unknown register op " + in.op)
		},
		Hash: func(state interface{}) uint64 { return hashString(state.(string)) },
	}
}

// ---- KV model (raftkit's kvModel), partitioned per key; a partition's state is one value ----

type kvTxnOp struct {
	Op    string `json:"op"`
	Value string `json:"value"`
}

type kvInput struct {
	Op       string  `json:"op"`
	Key      string  `json:"key"`
	Value    string  `json:"value"`
	Expected *string `json:"expected"`
	Compare  *struct {
		Operator string  `json:"operator"`
		Value    *string `json:"value"`
	} `json:"compare"`
	Success []kvTxnOp `json:"success"`
	Failure []kvTxnOp `json:"failure"`
}

type kvTxnResult struct {
	Op      string  `json:"op"`
	Value   *string `json:"value"`
	Deleted bool    `json:"deleted"`
}

type kvOutput struct {
	Op        string        `json:"op"`
	Value     *string       `json:"value"`
	Deleted   bool          `json:"deleted"`
	Swapped   bool          `json:"swapped"`
	Succeeded bool          `json:"succeeded"`
	Results   []kvTxnResult `json:"results"`
}

// kvValue is one key's value; present=false means absent (raftkit's null).
type kvValue struct {
	present bool
	v       string
}

func some(p *string) kvValue {
	if p == nil {
		return kvValue{}
	}
	return kvValue{true, *p}
}

func decodeKv(in, out json.RawMessage) (interface{}, interface{}) {
	var i kvInput
	if err := json.Unmarshal(in, &i); err != nil {
		panic(err)
	}
	if isNull(out) {
		return &i, nil
	}
	var o kvOutput
	if err := json.Unmarshal(out, &o); err != nil {
		panic(err)
	}
	return &i, &o
}

func compare(cur kvValue, operator string, value *string) bool {
	switch operator {
	case "equal":
		return cur == some(value)
	case "not-equal":
		return cur != some(value)
	case "less":
		return cur.present && value != nil && cur.v < *value
	case "greater":
		return cur.present && value != nil && cur.v > *value
	}
	panic("unknown operator " + operator)
}

func kvStep(state, input, output interface{}) (bool, interface{}) {
	cur := state.(kvValue)
	in := input.(*kvInput)
	var out *kvOutput
	if output != nil {
		out = output.(*kvOutput)
		if out.Op != in.Op {
			return false, cur
		}
	}
	switch in.Op {
	case "put":
		return true, kvValue{true, in.Value}
	case "get":
		if out != nil && some(out.Value) != cur {
			return false, cur
		}
		return true, cur
	case "delete":
		if out != nil && out.Deleted != cur.present {
			return false, cur
		}
		return true, kvValue{}
	case "cas":
		swapped := cur == some(in.Expected)
		if out != nil && out.Swapped != swapped {
			return false, cur
		}
		if swapped {
			return true, kvValue{true, in.Value}
		}
		return true, cur
	case "txn":
		succeeded := compare(cur, in.Compare.Operator, in.Compare.Value)
		if out != nil && out.Succeeded != succeeded {
			return false, cur
		}
		branch := in.Failure
		if succeeded {
			branch = in.Success
		}
		if out != nil && len(out.Results) != len(branch) {
			return false, cur
		}
		v := cur
		for k, op := range branch {
			var r *kvTxnResult
			if out != nil {
				r = &out.Results[k]
				if r.Op != op.Op {
					return false, cur
				}
			}
			switch op.Op {
			case "get":
				if r != nil && some(r.Value) != v {
					return false, cur
				}
			case "put":
				v = kvValue{true, op.Value}
			case "delete":
				if r != nil && r.Deleted != v.present {
					return false, cur
				}
				v = kvValue{}
			}
		}
		return true, v
	}
	panic("unknown kv op " + in.Op)
}

func kvModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			var keys []string
			for _, op := range history {
				k := op.Input.(*kvInput).Key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			parts := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, byKey[k])
			}
			return parts
		},
		Init: func() interface{} { return kvValue{} },
		Step: kvStep,
		Hash: func(state interface{}) uint64 {
			s := state.(kvValue)
			if !s.present {
				return 0
			}
			return hashString(s.v) | 1
		},
	}
}

// ---- helpers ----

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
