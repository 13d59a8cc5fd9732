package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// customFields checks that each custom field slot the mapping writes is
// defined on the portal. Portals without the definitions endpoint are not
// checked.
func (r *run) customFields(ctx context.Context) {
	if len(r.cfg.CustomFields) == 0 {
		return
	}
	status, _, body, err := r.raw(ctx, http.MethodGet, "/customfielddefinitions", nil, nil)
	if err != nil || status == http.StatusNotFound || status == http.StatusForbidden {
		r.pass("customFields", "this portal does not list custom field definitions; the slots the mapping writes ("+
			strings.Join(r.cfg.CustomFields, ", ")+") were not checked")
		return
	}
	if status != http.StatusOK {
		r.warn("customFields", fmt.Sprintf("listing custom field definitions answered %d", status), "")
		return
	}
	var defs any
	_ = json.Unmarshal(body, &defs)
	var strs []string
	collectStrings(defs, &strs)
	var missing []string
	for _, slot := range r.cfg.CustomFields {
		found := false
		for _, s := range strs {
			if strings.EqualFold(s, slot) || strings.EqualFold(strings.TrimPrefix(s, "customFields/"), slot) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, slot)
		}
	}
	if len(missing) > 0 {
		r.warn("customFields", "the mapping writes custom fields the portal does not define: "+strings.Join(missing, ", "),
			"define them in Absorb (Portal Settings > User custom fields) with the slot's type, or remove them from mapping.fields")
		return
	}
	r.pass("customFields", "every custom field the mapping writes is defined: "+strings.Join(r.cfg.CustomFields, ", "))
}

func collectStrings(v any, out *[]string) {
	switch t := v.(type) {
	case string:
		*out = append(*out, t)
	case []any:
		for _, e := range t {
			collectStrings(e, out)
		}
	case map[string]any:
		for _, e := range t {
			collectStrings(e, out)
		}
	}
}

// languages checks that the portal lists its languages, which the bridge
// maps preferredLanguage and locale through.
func (r *run) languages(ctx context.Context) {
	status, _, body, err := r.raw(ctx, http.MethodGet, "/languages", nil, nil)
	if err != nil || status != http.StatusOK {
		r.warn("languages", fmt.Sprintf("the portal did not list its languages (%d %v)", status, errText(err)),
			"preferredLanguage and locale will leave users' languages unchanged until GET /languages answers")
		return
	}
	var list []any
	if err := json.Unmarshal(body, &list); err != nil {
		var env map[string]any
		if json.Unmarshal(body, &env) == nil {
			for _, v := range env {
				if l, ok := v.([]any); ok {
					list = l
				}
			}
		}
	}
	r.pass("languages", fmt.Sprintf("the portal has %d languages", len(list)))
}

// sorting finds whether _sort takes any field or only the sortable ones.
// The bridge never needs to sort by id; the answer is for the record.
func (r *run) sorting(ctx context.Context) {
	status, _, _, err := r.raw(ctx, http.MethodGet, "/users", url.Values{"_sort": {"id"}, "_limit": {"1"}}, nil)
	switch {
	case err != nil:
		r.warn("sort", "probing _sort failed: "+err.Error(), "")
	case status == http.StatusOK:
		r.rep.Behaviour.Sort = "any"
		r.pass("sort", "_sort accepts any field, id included")
	case status == http.StatusBadRequest:
		r.rep.Behaviour.Sort = "limited"
		r.pass("sort", "_sort takes only sortable fields (id refused); the bridge does not depend on sorting by id")
	default:
		r.warn("sort", fmt.Sprintf("_sort=id answered %d", status), "")
	}
}

// filteredPaging finds whether the second page of a filtered list holds
// records, as one production client reports it may not.
func (r *run) filteredPaging(ctx context.Context) {
	filter := "dateEdited ge datetime'2000-01-01T00:00:00Z'"
	page := func(n int) (total, returned int, err error) {
		status, hdr, body, err := r.raw(ctx, http.MethodGet, "/users", url.Values{
			"_filter": {filter}, "_limit": {"1"}, "_offset": {fmt.Sprint(n)}}, nil)
		if err != nil {
			return 0, 0, err
		}
		if status != http.StatusOK {
			return 0, 0, fmt.Errorf("answered %d", status)
		}
		r.noteDate(hdr)
		var p struct {
			TotalItems int   `json:"totalItems"`
			Users      []any `json:"users"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, 0, err
		}
		return p.TotalItems, len(p.Users), nil
	}
	total, _, err := page(0)
	if err != nil {
		r.warn("filterPaging", "probing a filtered list failed: "+err.Error(), "")
		return
	}
	if total < 2 {
		r.pass("filterPaging", "too few users to tell whether filtered lists page")
		return
	}
	_, returned, err := page(1)
	switch {
	case err != nil:
		r.warn("filterPaging", "probing a filtered list's second page failed: "+err.Error(), "")
	case returned == 0:
		r.rep.Behaviour.FilterPaging = "broken"
		r.pass("filterPaging", "the second page of a filtered list is empty on this portal; the bridge narrows filters instead of paging them")
	default:
		r.rep.Behaviour.FilterPaging = "ok"
		r.pass("filterPaging", "filtered lists page")
	}
}

// zoned matches a date that carries its zone: Z or ±hh:mm.
var zoned = regexp.MustCompile(`(Z|[+-]\d\d:?\d\d)$`)

// dates reads the date format from a user record.
func (r *run) dates() {
	for _, key := range []string{"dateEdited", "dateAdded"} {
		s, _ := r.sample[key].(string)
		if s == "" {
			continue
		}
		r.noteDateFormat(s)
		return
	}
	if r.cfg.WriteTest == nil {
		r.pass("dates", "no user to read a date from")
	}
}

func (r *run) noteDateFormat(s string) {
	if zoned.MatchString(s) {
		r.rep.Behaviour.Dates = "rfc3339"
		r.pass("dates", fmt.Sprintf("dates carry their zone (%s)", s))
		return
	}
	r.rep.Behaviour.Dates = "absorb"
	r.pass("dates", fmt.Sprintf("dates carry no zone (%s); the bridge reads them as UTC and compares instants", s))
}

// noteDate checks the portal's clock once, from an answer's Date header.
func (r *run) noteDate(hdr http.Header) {
	for _, c := range r.rep.Checks {
		if c.Name == "clock" {
			return
		}
	}
	t, err := http.ParseTime(hdr.Get("Date"))
	if err != nil {
		return
	}
	skew := r.cfg.Now().Sub(t)
	if skew < 0 {
		skew = -skew
	}
	// The Date header has whole seconds.
	skew = skew.Round(time.Second)
	if skew > r.cfg.MaxClockSkew {
		r.warn("clock", fmt.Sprintf("this host's clock is %s away from the portal's", skew),
			"synchronise this host's clock (NTP): the sync reads changes by dateEdited")
		return
	}
	r.pass("clock", fmt.Sprintf("this host's clock is within %s of the portal's", r.cfg.MaxClockSkew))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
