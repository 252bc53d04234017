package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// sseStream reads the message events of one event stream.
type sseStream struct {
	body io.ReadCloser
	br   *bufio.Reader
	id   []byte
	data []byte
	// event is the current event's type; empty means message.
	event []byte
}

// openStream opens url as an event stream (after lastID, when set) and
// returns once the server has answered 200.
func openStream(ctx context.Context, client *http.Client, url, token, lastID string) (*sseStream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := doWaitingOut429(ctx, client, req)
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("open stream: %d %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return &sseStream{body: resp.Body, br: bufio.NewReaderSize(resp.Body, 64<<10)}, nil
}

var (
	fieldID    = []byte("id")
	fieldData  = []byte("data")
	fieldEvent = []byte("event")
	eventMsg   = []byte("message")
)

// next returns the id and data of the next message event, skipping
// comments and other events. The slices are valid until the next call.
func (s *sseStream) next() (id, data []byte, err error) {
	s.id, s.data, s.event = s.id[:0], s.data[:0], s.event[:0]
	hasData := false
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			return nil, nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if hasData && (len(s.event) == 0 || bytes.Equal(s.event, eventMsg)) {
				return s.id, s.data, nil
			}
			s.id, s.data, s.event, hasData = s.id[:0], s.data[:0], s.event[:0], false
			continue
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch {
		case bytes.Equal(name, fieldData):
			if hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			hasData = true
		case bytes.Equal(name, fieldID):
			s.id = append(s.id, value...)
		case bytes.Equal(name, fieldEvent):
			s.event = append(s.event, value...)
		}
	}
}

// close ends the stream, dropping its connection.
func (s *sseStream) close() { s.body.Close() }
