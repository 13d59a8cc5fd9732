package dump_test

import "testing"

// engines are the stores the tests run against.
func engines(t *testing.T) []engine {
	t.Helper()
	return []engine{{name: "bbolt", open: openBolt}}
}
