package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/tincan-dev/tincan/store"
)

var linearizabilityTests = []test{
	{"Trials", testLinearizable},
}

// Trial sizes. The long form is the 1,000 trials per store; CI
// runs the short one.
const (
	shortTrials      = 100
	longTrials       = 1000
	trialClients     = 4
	opsPerClient     = 8
	shortTrialBudget = 90 * time.Second
	longTrialBudget  = 20 * time.Minute
)

// longTests reports whether the long forms of the fault and trial tests
// were asked for, with TINCAN_LONG_TESTS=1.
func longTests() bool { return os.Getenv("TINCAN_LONG_TESTS") == "1" }

// testLinearizable: clients transfer, post, post carrying a port of
// another channel, close and describe the same ports at once. Every
// history must be linearizable against the sequential rules (linModel),
// and afterwards every port must have exactly one valid token among all
// that were ever issued for it.
func testLinearizable(t *testing.T, h harness) {
	trials, budget := shortTrials, shortTrialBudget
	if longTests() {
		trials, budget = longTrials, longTrialBudget
	}
	ctx, cancel := context.WithTimeout(t.Context(), budget)
	defer cancel()
	s := h.store(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var total trialResult
	start := time.Now()
	for i := range trials {
		r := runTrial(ctx, t, s, rng.Uint64())
		if t.Failed() {
			t.Fatalf("trial %d of %d failed (seed %d)", i, trials, seed)
		}
		total.ops += r.ops
		total.succeeded += r.succeeded
		total.busy += r.busy
	}
	t.Logf("%d trials, %d operations (%d succeeded, %d answered busy), all linearizable, in %v",
		trials, total.ops, total.succeeded, total.busy, time.Since(start).Round(time.Millisecond))
}

// trialResult counts what one trial did.
type trialResult struct{ ops, succeeded, busy int }

// trial is one run of concurrent clients on a fresh pair of channels.
type trial struct {
	s     store.Store
	ids   [numPorts]string
	start time.Time

	mu      sync.Mutex
	tokens  [numPorts][]string
	history []porcupine.Operation
}

func runTrial(ctx context.Context, t *testing.T, s store.Store, seed uint64) trialResult {
	t.Helper()
	x := newPair(ctx, t, s)
	y := newPair(ctx, t, s)
	tr := &trial{s: s, start: time.Now()}
	for p, c := range []store.Credentials{x.p1, x.p2, y.p1, y.p2} {
		tr.ids[p] = c.PortID
		tr.tokens[p] = []string{c.Token}
	}
	var wg sync.WaitGroup
	for c := range trialClients {
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		wg.Go(func() {
			for range opsPerClient {
				tr.act(ctx, c, rng)
			}
		})
	}
	wg.Wait()
	tr.settle(ctx, t)
	if t.Failed() {
		return trialResult{}
	}
	if res := porcupine.CheckOperationsTimeout(linModel, tr.history, 10*time.Second); res != porcupine.Ok {
		t.Errorf("history is %s:\n%s", res, tr.describe())
		return trialResult{}
	}
	r := trialResult{ops: len(tr.history), busy: tr.checkBusy(t)}
	for _, op := range tr.history {
		if op.Output.(linOutput).code == codeOK {
			r.succeeded++
		}
	}
	return r
}

// act does one random operation for client c. Closing is rare, so that
// most of a trial runs on open channels.
func (tr *trial) act(ctx context.Context, c int, rng *rand.Rand) {
	in := linInput{port: rng.IntN(portD), carried: noToken}
	switch r := rng.IntN(100); {
	case r < 3:
		in.kind = opClose
	case r < 25:
		in.kind = opTransfer
	case r < 50:
		in.kind, in.port, in.carried = opPostList, rng.IntN(portC), tr.pick(portC, rng)
	case r < 65:
		in.kind = opPost
	case r < 85:
		in.kind = opDescribe
	default:
		tr.receive(ctx, rng.IntN(portC))
		return
	}
	in.token = tr.pick(in.port, rng)
	tr.do(ctx, c, in)
}

// pick chooses a token for port among those issued so far: mostly the
// newest, sometimes any older one (which may be dead), rarely one never
// issued. It returns the token's registry id.
func (tr *trial) pick(port int, rng *rand.Rand) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := len(tr.tokens[port])
	switch r := rng.IntN(100); {
	case r < 4:
		return bogusToken
	case r < 65:
		return n - 1
	default:
		return rng.IntN(n)
	}
}

// token returns the token with registry id i at port.
func (tr *trial) token(port, i int) string {
	if i == bogusToken {
		return "bogus-" + store.NewToken()
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.tokens[port][i]
}

// register adds a token issued for port and returns its registry id, or
// the id it already has.
func (tr *trial) register(port int, token string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if i := slices.Index(tr.tokens[port], token); i >= 0 {
		return i
	}
	tr.tokens[port] = append(tr.tokens[port], token)
	return len(tr.tokens[port]) - 1
}

// do performs in and records it in the history.
func (tr *trial) do(ctx context.Context, client int, in linInput) {
	cr := store.Credentials{PortID: tr.ids[in.port], Token: tr.token(in.port, in.token)}
	var carried store.Credentials
	if in.kind == opPostList {
		carried = store.Credentials{PortID: tr.ids[portC], Token: tr.token(portC, in.carried)}
	}
	call := time.Since(tr.start).Nanoseconds()
	out := linOutput{newToken: noToken}
	var err error
	switch in.kind {
	case opDescribe:
		var info store.PortInfo
		info, err = tr.s.Describe(ctx, cr)
		out.state, out.queued, out.lastID = info.State, info.Queued, info.LastID
	case opPost:
		out.id, err = tr.s.Post(ctx, cr, store.Outgoing{Data: text(fmt.Sprintf("c%d", client))})
	case opPostList:
		out.id, err = tr.s.Post(ctx, cr, store.Outgoing{Data: text("carrying"), Transfer: []store.Credentials{carried}})
	case opTransfer:
		var pc store.PortCredentials
		pc, err = tr.s.Transfer(ctx, cr)
		if err == nil {
			out.newToken = tr.register(in.port, pc.Token)
		}
	case opClose:
		err = tr.s.ClosePort(ctx, cr)
	}
	ret := time.Since(tr.start).Nanoseconds()
	out.code = errCode(err)
	tr.mu.Lock()
	tr.history = append(tr.history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	tr.mu.Unlock()
}

// receive reads what waits at A or B with the newest token and learns the
// tokens of C that messages carry, so that later operations use them. It
// is not part of the history: it only spreads tokens.
func (tr *trial) receive(ctx context.Context, port int) {
	tr.mu.Lock()
	cr := store.Credentials{PortID: tr.ids[port], Token: tr.tokens[port][len(tr.tokens[port])-1]}
	tr.mu.Unlock()
	b, err := tr.s.Read(ctx, cr, store.EventID{}, store.ReadLimit{Messages: 100})
	if err != nil {
		return
	}
	for _, m := range b.Messages {
		for _, p := range m.Ports {
			tr.register(portC, p.Token)
		}
	}
}

// settle ends a trial once the clients are done: it probes every port
// with every token ever issued for it (exactly one must work), reads every
// message, fills in the tokens that stored messages carry, and appends the
// probes to the history, so that the final state is checked too.
func (tr *trial) settle(ctx context.Context, t *testing.T) {
	t.Helper()
	valid := map[int]store.Credentials{}
	probe := func(port int) {
		n := 0
		for i := range len(tr.tokens[port]) {
			tr.do(ctx, trialClients, linInput{kind: opDescribe, port: port, token: i, carried: noToken})
			last := tr.history[len(tr.history)-1]
			if last.Output.(linOutput).code == codeOK {
				n++
				valid[port] = store.Credentials{PortID: tr.ids[port], Token: tr.tokens[port][i]}
			}
		}
		if n != 1 {
			t.Errorf("port %s has %d valid tokens of %d issued, want exactly 1:\n%s", portNames[port], n, len(tr.tokens[port]), tr.describe())
		}
	}
	for _, p := range []int{portA, portB, portD} {
		probe(p)
	}
	if t.Failed() {
		return
	}
	// Every message that carries C, by receiving port and id.
	carried := map[[2]string]int{}
	for _, p := range []int{portA, portB} {
		for _, m := range readAll(ctx, t, tr.s, valid[p], store.EventID{}) {
			for _, pc := range m.Ports {
				if pc.ID != tr.ids[portC] {
					t.Errorf("a message carries port %s, not C", pc.ID)
				}
				carried[[2]string{tr.ids[p], m.ID.String()}] = tr.register(portC, pc.Token)
			}
		}
	}
	for i, op := range tr.history {
		in, out := op.Input.(linInput), op.Output.(linOutput)
		if in.kind != opPostList || out.code != codeOK {
			continue
		}
		tok, ok := carried[[2]string{tr.ids[peerOf[in.port]], out.id.String()}]
		if !ok {
			t.Errorf("the message %q a post carrying C stored is not at %s", out.id, portNames[peerOf[in.port]])
			continue
		}
		out.newToken = tok
		tr.history[i].Output = out
	}
	probe(portC)
}

// checkBusy checks that every busy answer coincided with a post moving C,
// the only thing that may keep a port busy, and returns how many there were.
func (tr *trial) checkBusy(t *testing.T) int {
	t.Helper()
	n := 0
	for i, op := range tr.history {
		code := op.Output.(linOutput).code
		if code != codeBusy && code != listPrefix+string(store.RefusedBusy) {
			continue
		}
		n++
		overlaps := false
		for j, o := range tr.history {
			if j != i && o.Input.(linInput).kind == opPostList && o.Call < op.Return && op.Call < o.Return {
				overlaps = true
			}
		}
		if !overlaps {
			t.Errorf("%s at %d..%d, with no move of C under way", describeOp(op.Input.(linInput), op.Output.(linOutput)), op.Call, op.Return)
		}
	}
	return n
}

// describe lists the history by invocation time, for a failure message.
func (tr *trial) describe() string {
	ops := slices.Clone(tr.history)
	slices.SortFunc(ops, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintf(&b, "  client %d [%8d µs .. %8d µs] %s\n", op.ClientId, op.Call/1000, op.Return/1000,
			describeOp(op.Input.(linInput), op.Output.(linOutput)))
	}
	return b.String()
}
