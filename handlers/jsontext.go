package handlers

// stringTracker follows JSON text byte by byte and tells which bytes stand
// outside every string, so that one-pass checks (checkDepth, isCompact)
// can look at structure alone without decoding.
type stringTracker struct {
	inString, escaped bool
}

// outside takes the next byte c and reports whether it stands outside
// every string. The quotes that open and close a string count as inside.
func (t *stringTracker) outside(c byte) bool {
	switch {
	case t.inString:
		switch {
		case t.escaped:
			t.escaped = false
		case c == '\\':
			t.escaped = true
		case c == '"':
			t.inString = false
		}
		return false
	case c == '"':
		t.inString = true
		return false
	}
	return true
}
