package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// output writes what a command has to say: for people (text) or for
// programs (one JSON value a line).
type output struct {
	// text is true for people's output.
	text bool
	w    io.Writer
	// notes is where remarks go that are not the command's result
	// (reconnecting, a reset, the channel's close), in either format.
	notes io.Writer
}

// newOutput picks the format: "text", "json", or "auto", which is text
// when stdout is a terminal and JSON lines otherwise (a pipe, a file, a
// command substitution).
func newOutput(format string, stdout, stderr io.Writer) (*output, error) {
	o := &output{w: stdout, notes: stderr}
	switch format {
	case "text":
		o.text = true
	case "json":
	case "auto":
		o.text = isTerminal(stdout)
	default:
		return nil, fmt.Errorf("-format %q: use auto, text or json", format)
	}
	return o, nil
}

// isTerminal reports whether w is a terminal (a character device), which
// os.File's mode tells without a dependency.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// json writes v as one line of JSON.
func (o *output) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.w, "%s\n", b)
	return err
}

// line writes a line of text.
func (o *output) line(format string, args ...any) error {
	_, err := fmt.Fprintf(o.w, format+"\n", args...)
	return err
}

// note writes a remark to stderr.
func (o *output) note(format string, args ...any) {
	fmt.Fprintf(o.notes, "tincan: "+format+"\n", args...)
}
