//go:build !(linux || darwin)

package connlimit

import "errors"

// RaiseFileLimit is not supported on this system: it returns
// errors.ErrUnsupported.
func RaiseFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.ErrUnsupported
}
