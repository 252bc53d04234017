package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// Port collections: one message to many ports (see store/collection.go).
// A collection's routes take the collection's own token, in the
// Authorization header only: a collection has no event stream, so no
// route of it needs a token in the URL.

// errInvalidMember refuses a port offered as a member whose credentials do
// not allow posting through it (a *store.MemberError says why).
var errInvalidMember = errors.New("member refused")

// errCollectionUnauthorized refuses the collection's credentials: its
// token is missing or wrong, or the collection is unknown, expired or
// deleted. It is 401 unauthorized like a port's refusal, with a detail
// that names the collection rather than a port.
var errCollectionUnauthorized = errors.New("collection token refused")

// collectionError is err, from a collection route's store call, with a
// refusal of the collection's own credentials marked as such. A member's
// refusal (a *store.MemberError) is left alone: it is invalid_member.
func collectionError(err error) error {
	var member *store.MemberError
	if errors.Is(err, store.ErrUnauthorized) && !errors.As(err, &member) {
		return fmt.Errorf("%w: %w", errCollectionUnauthorized, err)
	}
	return err
}

// maxMemberBody bounds an add-member request: a port id and a token.
const maxMemberBody = 1 << 10

// collectionResponse is a new collection with its token, which is never
// shown again.
type collectionResponse struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// collectionInfo is GET /collections/{id}'s answer.
type collectionInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Count     int       `json:"count"`
	Members   []string  `json:"members"`
}

// memberRequest proves the right to post through a port.
type memberRequest struct {
	Port  string `json:"port"`
	Token string `json:"token"`
}

// memberResponse answers an add: Added is false when the port was a
// member already (its token is replaced).
type memberResponse struct {
	Port  string `json:"port"`
	Added bool   `json:"added"`
}

// broadcastResponse accounts for every member: Reached counts Delivered.
// Unknown lists the members whose outcome the store could not tell (see
// store.BroadcastResult): neither reached nor refused.
type broadcastResponse struct {
	Reached   int             `json:"reached"`
	Delivered []deliveryJSON  `json:"delivered"`
	Refused   []refusedMember `json:"refused"`
	Unknown   []string        `json:"unknown"`
}

type deliveryJSON struct {
	Port string        `json:"port"`
	ID   store.EventID `json:"id"`
}

type refusedMember struct {
	Port string `json:"port"`
	Code string `json:"code"`
}

// collectionCredentials returns the collection named in the path and the
// bearer token presented for it. A missing token is store.ErrUnauthorized,
// like a wrong one.
func collectionCredentials(r *http.Request) (id, token string, err error) {
	id, token = chi.URLParam(r, "id"), bearerToken(r)
	if token == "" {
		return "", "", collectionError(fmt.Errorf("no bearer token: %w", store.ErrUnauthorized))
	}
	return id, token, nil
}

// handleCollectionCreate makes a collection. Creating one is gated like
// creating a channel (CREATE_AUTH).
func (s *Server) handleCollectionCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.creator(r); err != nil {
		return err
	}
	c, err := s.store.CreateCollection(r.Context())
	if err != nil {
		return err
	}
	return encode(w, http.StatusCreated, collectionResponse{ID: c.ID, Token: c.Token, CreatedAt: c.CreatedAt.UTC()})
}

// handleCollectionDescribe lists the members.
func (s *Server) handleCollectionDescribe(w http.ResponseWriter, r *http.Request) error {
	id, token, err := collectionCredentials(r)
	if err != nil {
		return err
	}
	info, err := s.store.DescribeCollection(r.Context(), id, token)
	if err != nil {
		return collectionError(err)
	}
	members := info.Members
	if members == nil {
		members = []string{}
	}
	return encode(w, http.StatusOK, collectionInfo{ID: info.ID, CreatedAt: info.CreatedAt.UTC(), Count: len(members), Members: members})
}

// handleCollectionDelete forgets the collection; its members' ports stay.
func (s *Server) handleCollectionDelete(w http.ResponseWriter, r *http.Request) error {
	id, token, err := collectionCredentials(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCollection(r.Context(), id, token); err != nil {
		return collectionError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMemberAdd adds a port, given its id and a token that may post
// through it: 201 for a new member, 200 when it was one already.
func (s *Server) handleMemberAdd(w http.ResponseWriter, r *http.Request) error {
	id, token, err := collectionCredentials(r)
	if err != nil {
		return err
	}
	req, err := decode[memberRequest](w, r, maxMemberBody, s.cfg.MaxJSONDepth)
	if err != nil {
		return err
	}
	if req.Port == "" || req.Token == "" {
		return badRequest(`Fields "port" and "token" are required.`)
	}
	added, err := s.store.AddMember(r.Context(), id, token, store.Credentials{PortID: req.Port, Token: req.Token})
	if err != nil {
		return collectionError(err)
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return encode(w, status, memberResponse{Port: req.Port, Added: added})
}

// handleMemberRemove removes a member port.
func (s *Server) handleMemberRemove(w http.ResponseWriter, r *http.Request) error {
	id, token, err := collectionCredentials(r)
	if err != nil {
		return err
	}
	if err := s.store.RemoveMember(r.Context(), id, token, chi.URLParam(r, "port")); err != nil {
		return collectionError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleBroadcast posts one message through every member. The body is a
// post's (JSON {"data"} or a text body), without a transfer list: a port
// cannot be given to many; the Origin header is kept as a post's is. The
// answer accounts for every member: delivered, refused, or unknown when
// the store cannot tell. With an Idempotency-Key, a retry of the same
// broadcast (see broadcastFingerprint) stores nothing twice: the members
// reached already (the unknown ones that were, too) answer their first
// ids, the others (added since, or unavailable the first time) are posted
// to now. The body is reserved in flight like a post's; the store refuses
// a broadcast whose members times its bytes pass MaxBroadcastBytes
// before it stores anything.
func (s *Server) handleBroadcast(w http.ResponseWriter, r *http.Request) error {
	id, token, err := collectionCredentials(r)
	if err != nil {
		return err
	}
	key, idempotent, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	origin, err := requestOrigin(r)
	if err != nil {
		return err
	}
	rsv, err := s.reserveBody(r)
	if err != nil {
		return err
	}
	defer rsv.release()
	msg, body, err := s.readMessage(w, r, idempotent)
	if err != nil {
		return err
	}
	if len(msg.Transfer) > 0 {
		return badRequest("A broadcast cannot carry a transfer list: a port can be given to one receiver only. Post it through one port instead.")
	}
	msg.Origin = origin
	var res store.BroadcastResult
	if idempotent {
		once := store.Idempotency{Key: key, Fingerprint: broadcastFingerprint(id, r.Header.Get("Content-Type"), body)}
		res, err = s.store.BroadcastOnce(r.Context(), id, token, msg, once)
	} else {
		res, err = s.store.Broadcast(r.Context(), id, token, msg)
	}
	if err != nil {
		return collectionError(err)
	}
	s.metrics.countBroadcast(len(res.Delivered))
	out := broadcastResponse{
		Reached:   len(res.Delivered),
		Delivered: make([]deliveryJSON, len(res.Delivered)),
		Refused:   make([]refusedMember, len(res.Refused)),
		Unknown:   res.Unknown,
	}
	if out.Unknown == nil {
		out.Unknown = []string{}
	}
	for i, d := range res.Delivered {
		out.Delivered[i] = deliveryJSON{Port: d.Port, ID: d.ID}
	}
	for i, f := range res.Refused {
		out.Refused[i] = refusedMember{Port: f.Port, Code: string(f.Reason)}
	}
	return encode(w, http.StatusOK, out)
}
