package storetest

import (
	"errors"
	"fmt"

	"github.com/anishathalye/porcupine"

	"github.com/tincan-dev/tincan/store"
)

// The linearizability trials use two channels: X joins ports A and B, Y
// joins C and D. Clients act on A, B and C; C is also the port carried in
// messages between A and B. D only receives what C posts.
const (
	portA = iota
	portB
	portC
	portD
	numPorts
)

var portNames = [numPorts]string{"A", "B", "C", "D"}

// peerOf and channelOf are the fixed shape of the two channels.
var (
	peerOf    = [numPorts]int{portB, portA, portD, portC}
	channelOf = [numPorts]int{0, 0, 1, 1}
)

// noToken marks an operation without a transfer list; bogusToken is a
// token no store ever issued.
const (
	noToken    = -1
	bogusToken = -2
)

// maxTokens bounds the tokens one port may be issued in a trial, so that
// the model can keep the set of former tokens in one word.
const maxTokens = 64

// opKind is what a recorded operation did.
type opKind int

const (
	opDescribe opKind = iota
	opPost
	opPostList // a post from A or B carrying C
	opTransfer
	opClose
)

var opNames = map[opKind]string{
	opDescribe: "describe", opPost: "post", opPostList: "post+C",
	opTransfer: "transfer", opClose: "close",
}

// linInput is a recorded call: the acting port, the id (in the trial's
// registry) of the token presented, and for opPostList the id of the
// token presented for C.
type linInput struct {
	kind    opKind
	port    int
	token   int
	carried int
}

// linOutput is a recorded answer. code is the error's class ("ok" on
// success); the other fields are set on success only. newToken is the
// registry id of the token a transfer returned or a stored message
// carries (filled in after the trial, once the message is read).
type linOutput struct {
	code     string
	state    store.State
	queued   int
	lastID   store.EventID
	id       store.EventID
	newToken int
}

// linState is the sequential specification's state: for each port the
// registry id of its one valid token, the set of its former tokens, the
// newest id queued at it and how many wait there; and which channels are
// closed. It is a comparable value, as porcupine's default Equal needs.
type linState struct {
	current [numPorts]int
	ever    [numPorts]uint64
	last    [numPorts]store.EventID
	queued  [numPorts]int
	closed  [2]bool
}

// Error classes, as errCode names them.
const (
	codeOK           = "ok"
	codeUnauthorized = "unauthorized"
	codeTransferred  = "transferred"
	codeClosed       = "closed"
	codeBusy         = "busy"
	listPrefix       = "list:" // + the store.TransferRefusal
)

// errCode classifies an error the store returned. Anything that is not one
// of the domain's answers keeps its text, so that the check fails on it.
func errCode(err error) string {
	var te *store.TransferError
	switch {
	case err == nil:
		return codeOK
	case errors.As(err, &te):
		return listPrefix + string(te.Reason)
	case errors.Is(err, store.ErrUnauthorized):
		return codeUnauthorized
	case errors.Is(err, store.ErrTransferred):
		return codeTransferred
	case errors.Is(err, store.ErrClosed):
		return codeClosed
	case errors.Is(err, store.ErrBusy):
		return codeBusy
	}
	return "unexpected: " + err.Error()
}

// authCode is what presenting token at port answers in state s: "" when
// it is the port's token.
func (s linState) authCode(port, token int) string {
	switch {
	case token >= 0 && token == s.current[port]:
		return ""
	case token >= 0 && s.ever[port]&(1<<token) != 0:
		return codeTransferred
	}
	return codeUnauthorized
}

// refusals lists every answer the rules allow for a refused call in s, or
// none when the call must succeed. Where several refusals apply the
// contract lets the store pick any, so all of them are allowed. A port
// being moved (C) may also answer busy; that such an answer coincided
// with a move is checked apart from the model, which cannot see time.
func (s linState) refusals(in linInput) []string {
	var out []string
	if c := s.authCode(in.port, in.token); c != "" {
		if in.kind != opPostList {
			// A port is authenticated before anything else is looked at.
			return []string{c}
		}
		out = append(out, c)
	}
	if in.port == portC {
		out = append(out, codeBusy)
	}
	closed := s.closed[channelOf[in.port]]
	switch in.kind {
	case opPost, opPostList, opTransfer:
		if closed {
			out = append(out, codeClosed)
		}
	}
	if in.kind == opPostList {
		if c := s.authCode(portC, in.carried); c != "" {
			out = append(out, listPrefix+c)
		} else if s.closed[channelOf[portC]] {
			out = append(out, listPrefix+string(store.RefusedClosed))
		}
		out = append(out, listPrefix+string(store.RefusedBusy))
	}
	return out
}

// mustRefuse reports whether a call can only be refused in s: busy is
// always allowed where it appears, but it alone does not stop a call.
func mustRefuse(refusals []string) bool {
	for _, r := range refusals {
		if r != codeBusy && r != listPrefix+string(store.RefusedBusy) {
			return true
		}
	}
	return false
}

// step is the sequential specification: whether out is a correct answer
// to in from state s, and the state after it.
func step(s linState, in linInput, out linOutput) (bool, linState) {
	refusals := s.refusals(in)
	if out.code != codeOK {
		for _, r := range refusals {
			if out.code == r {
				return true, s
			}
		}
		return false, s
	}
	if mustRefuse(refusals) {
		return false, s
	}
	switch in.kind {
	case opDescribe:
		want := store.StateOpen
		if s.closed[channelOf[in.port]] {
			want = store.StateClosed
		}
		ok := out.state == want && out.queued == s.queued[in.port] && out.lastID == s.last[in.port]
		return ok, s
	case opPost, opPostList:
		to := peerOf[in.port]
		if out.id.Compare(s.last[to]) <= 0 {
			return false, s
		}
		s.last[to] = out.id
		s.queued[to]++
		if in.kind == opPostList {
			if !s.rekey(portC, out.newToken) {
				return false, s
			}
		}
		return true, s
	case opTransfer:
		return s.rekey(in.port, out.newToken), s
	case opClose:
		s.closed[channelOf[in.port]] = true
		return true, s
	}
	return false, s
}

// rekey makes token the port's one valid token; it must be a fresh one.
func (s *linState) rekey(port, token int) bool {
	if token < 0 || token >= maxTokens || s.ever[port]&(1<<token) != 0 {
		return false
	}
	s.current[port] = token
	s.ever[port] |= 1 << token
	return true
}

// linModel is the porcupine model of the trials. Every port starts with
// token 0 of its registry.
var linModel = porcupine.Model{
	Init: func() any {
		var s linState
		for p := range numPorts {
			s.ever[p] = 1
		}
		return s
	},
	Step: func(state, input, output any) (bool, any) {
		return step(state.(linState), input.(linInput), output.(linOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		return describeOp(in, out)
	},
	DescribeState: func(state any) string {
		s := state.(linState)
		return fmt.Sprintf("tokens %v closed %v queued %v last %v", s.current, s.closed, s.queued, s.last)
	},
}

func describeOp(in linInput, out linOutput) string {
	s := fmt.Sprintf("%s %s tok%d", opNames[in.kind], portNames[in.port], in.token)
	if in.kind == opPostList {
		s += fmt.Sprintf(" carrying C tok%d", in.carried)
	}
	s += " -> " + out.code
	if out.code == codeOK {
		switch in.kind {
		case opDescribe:
			s += fmt.Sprintf(" %s queued %d last %q", out.state, out.queued, out.lastID)
		case opPost:
			s += fmt.Sprintf(" id %q", out.id)
		case opPostList:
			s += fmt.Sprintf(" id %q new C tok%d", out.id, out.newToken)
		case opTransfer:
			s += fmt.Sprintf(" tok%d", out.newToken)
		}
	}
	return s
}
