//go:build race

package bridge_test

// raceEnabled: the tests run under the race detector, many times slower,
// so the largest worlds are made smaller (the behaviour they check does
// not depend on their size beyond a few batches).
const raceEnabled = true
