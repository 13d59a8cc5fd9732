package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidValue is wrapped by every error about a value in a SCIM document
// that cannot become the Absorb field it is mapped to (RFC 7644 §3.12
// scimType invalidValue).
var ErrInvalidValue = errors.New("invalid value")

// invalid builds an error about the value at a path; it never includes the
// value itself, so a secret can not leak through it.
func invalid(at, want string, got any) error {
	return fmt.Errorf("%s: %w: want %s, got %s", at, ErrInvalidValue, want, typeName(got))
}

func typeName(v any) string {
	switch t := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		if t == "" {
			return "an empty string"
		}
		return "a string"
	case bool:
		return "a boolean"
	case float64, float32, int, int64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// toString renders a simple value as Absorb stores it: strings exactly as
// sent, booleans and numbers in their JSON form; nil is "".
func toString(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", true
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(t), 'f', -1, 32), true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	}
	return "", false
}

// toBool reads a boolean, accepting Entra's "True"/"False" strings.
func toBool(v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch {
		case strings.EqualFold(t, "true"):
			return true, nil
		case strings.EqualFold(t, "false"):
			return false, nil
		}
	}
	return false, errors.New("not a boolean")
}

// toDecimal reads a number, accepting numeric strings.
func toDecimal(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case float32:
		return float64(t), nil
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err == nil {
			return f, nil
		}
	}
	return 0, errors.New("not a number")
}

// toGender reads Absorb's gender code (0 none, 1 male, 2 female) from the
// code itself or from a word.
func toGender(v any) (int, error) {
	if f, err := toDecimal(v); err == nil {
		if n := int(f); float64(n) == f && n >= 0 && n <= 2 {
			return n, nil
		}
		return 0, errors.New("not a gender code")
	}
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "", "none", "unspecified", "unknown", "u":
			return 0, nil
		case "male", "m":
			return 1, nil
		case "female", "f":
			return 2, nil
		}
	}
	return 0, errors.New("not a gender")
}
