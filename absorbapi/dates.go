package absorbapi

import (
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the date forms Absorb writes and takes: RFC 3339 with a
// zone and any fraction; Absorb's own form, without a zone and with a
// variable fraction (2022-07-27T16:36:50.72), read as UTC; and a plain date.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a date as Absorb writes it (RFC 3339, or without a zone
// and with any fraction of a second, or a plain date) and returns the
// instant, in UTC; a date without a zone is taken as UTC. It returns an
// error for "" and for any other form.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("absorb date %q: not RFC 3339, yyyy-MM-ddTHH:mm:ss[.f] or yyyy-MM-dd", s)
}

// SameInstant reports whether two of Absorb's dates name the same instant,
// whatever their form ("2022-07-27T16:36:50.720Z" and
// "2022-07-27T16:36:50.72" do). Two empty dates are the same; a date that
// does not parse is only the same as the identical text.
func SameInstant(a, b string) bool {
	if a == b {
		return true
	}
	ta, errA := ParseTime(a)
	tb, errB := ParseTime(b)
	return errA == nil && errB == nil && ta.Equal(tb)
}

// CompareTimes orders two of Absorb's dates as instants: -1 when a is
// earlier, 0 when they are the same instant, +1 when a is later. An empty
// date, or one that does not parse, comes before every date that parses
// (two such dates compare as text).
func CompareTimes(a, b string) int {
	ta, errA := ParseTime(a)
	tb, errB := ParseTime(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return ta.Compare(tb)
}
