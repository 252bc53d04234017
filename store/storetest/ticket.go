package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var ticketTests = []test{
	{"IssueRedeem", testTicketIssueRedeem},
	{"SingleUse", testTicketSingleUse},
	{"ConcurrentRedeems", testTicketConcurrentRedeems},
	{"Expires", testTicketExpires},
	{"OtherPortRefusedNotUsedUp", testTicketOtherPort},
	{"Scopes", testTicketScopes},
	{"RefusedEntries", testTicketRefusedEntries},
	{"MultiPortOrder", testTicketMultiPort},
	{"CheckedWhenIssued", testTicketCheckedWhenIssued},
	{"Invalid", testTicketInvalid},
}

// ticketTTL is the lifetime of the tickets that are not about expiry.
const ticketTTL = time.Minute

func issue(t *testing.T, s store.Store, ports ...store.Credentials) store.Ticket {
	t.Helper()
	tk, err := s.IssueTicket(testContext(t), ports, ticketTTL)
	if err != nil {
		t.Fatalf("IssueTicket: %v", err)
	}
	return tk
}

func redeem(t *testing.T, s store.Store, portID, secret string) []store.Credentials {
	t.Helper()
	got, err := s.RedeemTicket(testContext(t), portID, secret)
	if err != nil {
		t.Fatalf("RedeemTicket %s: %v", portID, err)
	}
	return got
}

// wantTicketInvalid fails unless redeeming secret for portID is refused
// with ErrTicketInvalid.
func wantTicketInvalid(t *testing.T, s store.Store, what, portID, secret string) {
	t.Helper()
	got, err := s.RedeemTicket(testContext(t), portID, secret)
	if !errors.Is(err, store.ErrTicketInvalid) {
		t.Errorf("%s: RedeemTicket answered %v, %v; want ErrTicketInvalid", what, got, err)
	}
}

// wantTicketError fails unless err is a *store.TicketError for entry
// index, port portID, wrapping target.
func wantTicketError(t *testing.T, what string, err error, index int, portID string, target error) {
	t.Helper()
	var te *store.TicketError
	if !errors.As(err, &te) {
		t.Errorf("%s: error %v, want a *store.TicketError", what, err)
		return
	}
	if te.Index != index || te.PortID != portID || !errors.Is(err, target) {
		t.Errorf("%s: TicketError{%d, %q, %v}, want {%d, %q, %v}", what, te.Index, te.PortID, te.Err, index, portID, target)
	}
}

// testTicketIssueRedeem: a ticket names its port, expires after the ttl
// and redeems to the very credentials it was issued for, which work.
func testTicketIssueRedeem(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	post(ctx, t, s, p.p1, text("waiting"))
	before := time.Now()
	tk := issue(t, s, p.p2)
	if len(tk.Secret) != len(store.NewToken()) || tk.Secret == p.p2.Token {
		t.Errorf("ticket secret %q is not a fresh token", tk.Secret)
	}
	if !slices.Equal(tk.Ports, []string{p.p2.PortID}) {
		t.Errorf("ticket ports %v, want [%s]", tk.Ports, p.p2.PortID)
	}
	if !near(tk.ExpiresAt, before.Add(ticketTTL), 5*time.Second) {
		t.Errorf("ticket expires at %v, want about %v", tk.ExpiresAt, before.Add(ticketTTL))
	}
	got := redeem(t, s, p.p2.PortID, tk.Secret)
	if !slices.Equal(got, []store.Credentials{p.p2}) {
		t.Fatalf("redeemed %v, want [%v]", got, p.p2)
	}
	if msgs := readAll(ctx, t, s, got[0], store.EventID{}); len(msgs) != 1 {
		t.Errorf("read %d messages with the redeemed credentials, want 1", len(msgs))
	}
}

// testTicketSingleUse: a redeemed ticket is used up; a second ticket for
// the same port is independent of the first.
func testTicketSingleUse(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	first, second := issue(t, s, p.p1), issue(t, s, p.p1)
	if first.Secret == second.Secret {
		t.Fatal("two tickets share a secret")
	}
	redeem(t, s, p.p1.PortID, first.Secret)
	wantTicketInvalid(t, s, "the same ticket again", p.p1.PortID, first.Secret)
	redeem(t, s, p.p1.PortID, second.Secret)
	wantTicketInvalid(t, s, "the second ticket again", p.p1.PortID, second.Secret)
}

// testTicketConcurrentRedeems: of 20 redeems of one ticket at once,
// exactly one gets the credentials and every other is ErrTicketInvalid.
func testTicketConcurrentRedeems(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	tk := issue(t, s, p.p2)
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
		got   = make([][]store.Credentials, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = s.RedeemTicket(ctx, p.p2.PortID, tk.Secret)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			if !slices.Equal(got[i], []store.Credentials{p.p2}) {
				t.Errorf("redeem %d: got %v, want [%v]", i, got[i], p.p2)
			}
		case !errors.Is(err, store.ErrTicketInvalid):
			t.Errorf("redeem %d: %v, want ErrTicketInvalid", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent redeems succeeded, want exactly 1", wins, n)
	}
}

// testTicketExpires: a ticket not redeemed within its ttl is refused.
func testTicketExpires(t *testing.T, h harness) {
	ctx := testContext(t)
	s, tl := h.timedStore(t, store.Limits{})
	p := newPair(ctx, t, s)
	const ttl = 200 * time.Millisecond
	tk, err := s.IssueTicket(ctx, []store.Credentials{p.p1}, ttl)
	if err != nil {
		t.Fatalf("IssueTicket: %v", err)
	}
	live, err := s.IssueTicket(ctx, []store.Credentials{p.p1}, ticketTTL)
	if err != nil {
		t.Fatalf("IssueTicket: %v", err)
	}
	tl.passUntil(tk.ExpiresAt.Add(ttl))
	wantTicketInvalid(t, s, "an expired ticket", p.p1.PortID, tk.Secret)
	redeem(t, s, p.p1.PortID, live.Secret)
}

// testTicketOtherPort: a ticket works only for its first port: presented
// for any other port (another of its own, the peer, an unknown one) or
// altered, it is refused and not used up.
func testTicketOtherPort(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	other := newPair(ctx, t, s)
	tk := issue(t, s, p.p2, other.p1)
	wantTicketInvalid(t, s, "for the ticket's second port", other.p1.PortID, tk.Secret)
	wantTicketInvalid(t, s, "for the peer", p.p1.PortID, tk.Secret)
	wantTicketInvalid(t, s, "for an unknown port", unknownPort(t), tk.Secret)
	wantTicketInvalid(t, s, "for no port", "", tk.Secret)
	wantTicketInvalid(t, s, "altered", p.p2.PortID, flip(tk.Secret))
	wantTicketInvalid(t, s, "empty", p.p2.PortID, "")
	wantTicketInvalid(t, s, "a port token as a ticket", p.p2.PortID, p.p2.Token)
	got := redeem(t, s, p.p2.PortID, tk.Secret)
	if !slices.Equal(got, []store.Credentials{p.p2, other.p1}) {
		t.Errorf("redeemed %v after the refusals, want [%v %v]", got, p.p2, other.p1)
	}
}

// testTicketScopes: the port's own token and a listen token may have a
// ticket; a post token may not, in any position.
func testTicketScopes(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	listen := mint(t, s, p.p2, store.ScopeListen, "reader")
	poster := mint(t, s, p.p2, store.ScopePost, "writer")

	tk := issue(t, s, listen)
	if got := redeem(t, s, p.p2.PortID, tk.Secret); !slices.Equal(got, []store.Credentials{listen}) {
		t.Errorf("listen ticket redeemed %v, want [%v]", got, listen)
	}
	issue(t, s, p.p2)

	_, err := s.IssueTicket(ctx, []store.Credentials{poster}, ticketTTL)
	wantTicketError(t, "a post token", err, 0, p.p2.PortID, store.ErrInsufficientScope)
	_, err = s.IssueTicket(ctx, []store.Credentials{p.p1, poster}, ticketTTL)
	wantTicketError(t, "a post token second", err, 1, p.p2.PortID, store.ErrInsufficientScope)
}

// testTicketRefusedEntries: a ticket is refused for a transferred token, a
// wrong token, an unknown or malformed port id, naming the first refused
// entry; a refused request leaves no ticket behind.
func testTicketRefusedEntries(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	moved := newPair(ctx, t, s)
	if _, err := s.Transfer(ctx, moved.p1); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	wrong := store.Credentials{PortID: p.p2.PortID, Token: store.NewToken()}
	unknown := store.Credentials{PortID: unknownPort(t), Token: store.NewToken()}
	malformed := store.Credentials{PortID: "not-a-port", Token: store.NewToken()}

	cases := []struct {
		what   string
		ports  []store.Credentials
		index  int
		portID string
		want   error
	}{
		{"transferred first", []store.Credentials{moved.p1, p.p1}, 0, moved.p1.PortID, store.ErrTransferred},
		{"transferred second", []store.Credentials{p.p1, moved.p1}, 1, moved.p1.PortID, store.ErrTransferred},
		{"wrong token third", []store.Credentials{p.p1, moved.p2, wrong}, 2, p.p2.PortID, store.ErrUnauthorized},
		{"unknown port", []store.Credentials{p.p1, unknown}, 1, unknown.PortID, store.ErrUnauthorized},
		{"malformed port id", []store.Credentials{malformed, p.p1}, 0, malformed.PortID, store.ErrUnauthorized},
		{"first of two refusals", []store.Credentials{p.p1, wrong, moved.p1}, 1, p.p2.PortID, store.ErrUnauthorized},
		{"a malformed id after a refusal", []store.Credentials{moved.p1, malformed}, 0, moved.p1.PortID, store.ErrTransferred},
	}
	for _, c := range cases {
		tk, err := s.IssueTicket(ctx, c.ports, ticketTTL)
		wantTicketError(t, c.what, err, c.index, c.portID, c.want)
		if tk.Secret != "" {
			t.Errorf("%s: refused, yet a ticket came back: %+v", c.what, tk)
		}
	}
}

// testTicketMultiPort: a ticket for ports of several channels redeems to
// their credentials in the order given.
func testTicketMultiPort(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a, b, c := newPair(ctx, t, s), newPair(ctx, t, s), newPair(ctx, t, s)
	listen := mint(t, s, b.p1, store.ScopeListen, "")
	ports := []store.Credentials{c.p2, a.p1, listen, b.p2, a.p2}
	tk := issue(t, s, ports...)
	want := []string{c.p2.PortID, a.p1.PortID, b.p1.PortID, b.p2.PortID, a.p2.PortID}
	if !slices.Equal(tk.Ports, want) {
		t.Errorf("ticket ports %v, want %v", tk.Ports, want)
	}
	if got := redeem(t, s, c.p2.PortID, tk.Secret); !slices.Equal(got, ports) {
		t.Errorf("redeemed %v, want %v", got, ports)
	}
}

// testTicketCheckedWhenIssued: the credentials are checked when the ticket
// is issued, for a closed channel's port too (its messages stay
// readable); a ticket whose port was transferred since still redeems, to
// credentials the next call refuses.
func testTicketCheckedWhenIssued(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatalf("ClosePort: %v", err)
	}
	closed := issue(t, s, p.p2)
	redeem(t, s, p.p2.PortID, closed.Secret)

	q := newPair(ctx, t, s)
	tk := issue(t, s, q.p2)
	if _, err := s.Transfer(ctx, q.p2); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	got := redeem(t, s, q.p2.PortID, tk.Secret)
	_, err := s.Read(ctx, got[0], store.EventID{}, store.ReadLimit{Messages: 1})
	wantErr(t, "reading with a ticket's credentials after a transfer", err, store.ErrTransferred)
}

// testTicketInvalid: no ports, a port listed twice and a ttl under a
// millisecond are ErrInvalid.
func testTicketInvalid(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	listen := mint(t, s, p.p2, store.ScopeListen, "")
	cases := []struct {
		what  string
		ports []store.Credentials
		ttl   time.Duration
	}{
		{"no ports", nil, ticketTTL},
		{"a port twice", []store.Credentials{p.p2, p.p1, p.p2}, ticketTTL},
		{"a port twice with two tokens", []store.Credentials{p.p2, listen}, ticketTTL},
		{"zero ttl", []store.Credentials{p.p2}, 0},
		{"negative ttl", []store.Credentials{p.p2}, -time.Second},
		{"sub-millisecond ttl", []store.Credentials{p.p2}, time.Microsecond},
	}
	for _, c := range cases {
		_, err := s.IssueTicket(ctx, c.ports, c.ttl)
		wantErr(t, c.what, err, store.ErrInvalid)
	}
}
