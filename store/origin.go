package store

// MaxOriginLen is the longest origin a message may carry.
const MaxOriginLen = 256

// ValidOrigin reports whether s may be kept as a message's origin: "" (no
// origin), the opaque origin "null", or a serialized tuple origin as a
// browser writes it in an Origin header, scheme "://" host [":" port]:
// a lower-case scheme, a lower-case ASCII host (a name, an IPv4 address or
// a bracketed IPv6 address) and a decimal port up to 65535, with no path,
// query, fragment or user info, at most MaxOriginLen bytes.
func ValidOrigin(s string) bool {
	if s == "" || s == "null" {
		return true
	}
	if len(s) > MaxOriginLen {
		return false
	}
	i := 0
	for i < len(s) && (isLower(s[i]) || i > 0 && (isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
		i++
	}
	if i == 0 || len(s) < i+3 || s[i:i+3] != "://" {
		return false
	}
	rest := s[i+3:]
	host, port := rest, ""
	if len(rest) > 0 && rest[0] == '[' {
		end := 1
		for end < len(rest) && (isDigit(rest[end]) || rest[end] >= 'a' && rest[end] <= 'f' || rest[end] == ':' || rest[end] == '.') {
			end++
		}
		if end == 1 || end >= len(rest) || rest[end] != ']' {
			return false
		}
		host, port = rest[:end+1], rest[end+1:]
	} else {
		end := 0
		for end < len(rest) && (isLower(rest[end]) || isDigit(rest[end]) || rest[end] == '-' || rest[end] == '.' || rest[end] == '_' || rest[end] == '~') {
			end++
		}
		host, port = rest[:end], rest[end:]
	}
	if host == "" {
		return false
	}
	if port == "" {
		return true
	}
	if port[0] != ':' || len(port) < 2 || len(port) > 6 {
		return false
	}
	n := 0
	for _, c := range []byte(port[1:]) {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
