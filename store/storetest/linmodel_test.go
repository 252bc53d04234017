package storetest

import (
	"testing"

	"github.com/anishathalye/porcupine"

	"github.com/tincan-dev/tincan/store"
)

// The model must reject what the rules forbid, or the trials prove
// nothing: each history here is one broken store's answer.
func TestLinModelRejects(t *testing.T) {
	id := func(ms uint64) store.EventID { return store.EventID{Ms: ms} }
	op := func(client int, call, ret int64, in linInput, out linOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	transferA := linInput{kind: opTransfer, port: portA, token: 0, carried: noToken}
	describeA := func(tok int) linInput { return linInput{kind: opDescribe, port: portA, token: tok, carried: noToken} }
	postList := linInput{kind: opPostList, port: portA, token: 0, carried: 0}
	ok := linOutput{code: codeOK, newToken: noToken}
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		legal   bool
	}{
		{"one transfer wins", []porcupine.Operation{
			op(0, 0, 10, transferA, linOutput{code: codeOK, newToken: 1}),
			op(1, 1, 9, transferA, linOutput{code: codeTransferred}),
		}, true},
		{"two transfers win with one token", []porcupine.Operation{
			op(0, 0, 10, transferA, linOutput{code: codeOK, newToken: 1}),
			op(1, 1, 9, transferA, linOutput{code: codeOK, newToken: 2}),
		}, false},
		{"old token works after a transfer", []porcupine.Operation{
			op(0, 0, 1, transferA, linOutput{code: codeOK, newToken: 1}),
			op(0, 2, 3, describeA(0), linOutput{code: codeOK, state: store.StateOpen}),
		}, false},
		{"old token unknown rather than transferred", []porcupine.Operation{
			op(0, 0, 1, transferA, linOutput{code: codeOK, newToken: 1}),
			op(0, 2, 3, describeA(0), linOutput{code: codeUnauthorized}),
		}, false},
		{"carried port keeps its old token", []porcupine.Operation{
			op(0, 0, 1, postList, linOutput{code: codeOK, id: id(5), newToken: 1}),
			op(0, 2, 3, linInput{kind: opTransfer, port: portC, token: 0, carried: noToken}, linOutput{code: codeOK, newToken: 2}),
		}, false},
		{"a refused move stores a message", []porcupine.Operation{
			op(0, 0, 1, postList, linOutput{code: listPrefix + "busy"}),
			op(0, 2, 3, linInput{kind: opDescribe, port: portB, token: 0, carried: noToken},
				linOutput{code: codeOK, state: store.StateOpen, queued: 1, lastID: id(5)}),
		}, false},
		{"post after close", []porcupine.Operation{
			op(0, 0, 1, linInput{kind: opClose, port: portB, token: 0, carried: noToken}, ok),
			op(0, 2, 3, linInput{kind: opPost, port: portA, token: 0, carried: noToken}, linOutput{code: codeOK, id: id(5)}),
		}, false},
		{"ids go backwards", []porcupine.Operation{
			op(0, 0, 1, linInput{kind: opPost, port: portA, token: 0, carried: noToken}, linOutput{code: codeOK, id: id(5)}),
			op(0, 2, 3, linInput{kind: opPost, port: portA, token: 0, carried: noToken}, linOutput{code: codeOK, id: id(4)}),
		}, false},
		{"busy on a port that is not moved", []porcupine.Operation{
			op(0, 0, 1, linInput{kind: opTransfer, port: portB, token: 0, carried: noToken}, linOutput{code: codeBusy}),
		}, false},
	} {
		got := porcupine.CheckOperations(linModel, tc.history)
		if got != tc.legal {
			t.Errorf("%s: linearizable %v, want %v", tc.name, got, tc.legal)
		}
	}
}
