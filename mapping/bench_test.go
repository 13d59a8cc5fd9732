package mapping

import (
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

func BenchmarkToAbsorb(b *testing.B) {
	m := mustNew(b, Config{})
	doc := decode(b, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"userName":"bench@example.com","name":{"givenName":"Bench","familyName":"Mark"},"displayName":"Bench Mark","title":"Tester",
		"emails":[{"value":"bench@example.com","type":"work","primary":true},{"value":"b@home.example","type":"home"}],
		"phoneNumbers":[{"value":"555","type":"work"}],"addresses":[{"type":"work","streetAddress":"1 Main","locality":"Town","postalCode":"P1"}],
		"locale":"en-US","externalId":"x-1","active":true,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"E-1","department":"Sales"},
		"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"customFields":{"string1":"a","decimal1":1.5,"bool1":true}}}`)
	current := fullUser()
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.ToAbsorb(doc, &current); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.ToAbsorb(doc, (*absorbapi.User)(nil)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
