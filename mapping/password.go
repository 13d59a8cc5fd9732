package mapping

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// Character classes of generated passwords. The symbols avoid quotes,
// backslash and angle brackets, which some systems mishandle.
const (
	pwUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	pwLower   = "abcdefghijklmnopqrstuvwxyz"
	pwDigits  = "0123456789"
	pwSymbols = "!#$%*+-=?@^_~"
	pwLength  = 24
)

// GeneratePassword returns a random 24-character password from crypto/rand
// with at least one upper-case letter, lower-case letter, digit and symbol,
// which meets Absorb's "Strong" policy (upper, lower, digit and symbol, at
// least 8). It returns an error only when the system's random source fails.
func GeneratePassword() (string, error) {
	classes := [...]string{pwUpper, pwLower, pwDigits, pwSymbols}
	const all = pwUpper + pwLower + pwDigits + pwSymbols
	b := make([]byte, pwLength)
	for i := range b {
		set := all
		if i < len(classes) {
			set = classes[i]
		}
		n, err := randIndex(len(set))
		if err != nil {
			return "", err
		}
		b[i] = set[n]
	}
	for i := len(b) - 1; i > 0; i-- { // Fisher-Yates, so the classes sit anywhere
		j, err := randIndex(i + 1)
		if err != nil {
			return "", err
		}
		b[i], b[j] = b[j], b[i]
	}
	return string(b), nil
}

// randIndex returns a uniform random integer in [0, n).
func randIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generate password: %w", err)
	}
	return int(v.Int64()), nil
}
