package mapping

import "testing"

// BenchmarkFromAbsorb measures turning an Absorb account into a SCIM user
// (adoption, sync) and merging an account's values into a stored user (the
// sync's fold), and the field-by-field comparison every update makes.
func BenchmarkFromAbsorb(b *testing.B) {
	m := mustNew(b, Config{})
	u := fullUser()
	doc := m.FromAbsorb(u)
	edited := u
	edited.JobTitle = "Principal"
	b.Run("FromAbsorb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d := m.FromAbsorb(u); d["userName"] == nil {
				b.Fatal("no userName")
			}
		}
	})
	b.Run("MergeChanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, changed := m.Merge(doc, edited); !changed {
				b.Fatal("no change seen")
			}
		}
	})
	b.Run("Diff", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(Diff(u, edited)) != 1 {
				b.Fatal("want one change")
			}
		}
	})
}
