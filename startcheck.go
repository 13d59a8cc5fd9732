package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/namecheck"
)

// loginRefused is what /readyz says while Absorb refuses the bridge's login.
const loginRefused = "Absorb refused the bridge's login"

// absorbHealth knows why the bridge cannot do its work with Absorb although
// it runs: Absorb refusing its login, or configured names not resolved yet.
// /readyz reports it and the log says each change once.
type absorbHealth struct {
	log *slog.Logger

	mu      sync.Mutex
	refused bool     // the last login was refused
	names   []string // why the configured names are not known good; none when they are
}

func newAbsorbHealth(log *slog.Logger) *absorbHealth { return &absorbHealth{log: log} }

// notReady is server.Config.NotReady.
func (h *absorbHealth) notReady() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	if h.refused {
		out = append(out, loginRefused+": check absorb.username, absorb.password and absorb.privateKey")
	}
	return append(out, h.names...)
}

// observeLogin records a login's outcome; the first refusal after a success
// is logged at ERROR with what to check.
func (h *absorbHealth) observeLogin(err error) {
	refused := err != nil && (absorbapi.IsUnauthorized(err) || absorbapi.IsForbidden(err))
	h.mu.Lock()
	was := h.refused
	switch {
	case err == nil:
		h.refused = false
	case refused:
		h.refused = true
	}
	h.mu.Unlock()
	switch {
	case refused && !was:
		h.log.Error(loginRefused+": check absorb.username and absorb.password (an active Absorb admin, not locked out), "+
			"absorb.privateKey (the Integration API key of this portal) and absorb.region or absorb.url (this portal's API gateway); "+
			"SCIM writes are answered 503 until it is fixed", "error", err)
	case err == nil && was:
		h.log.Info("Absorb accepts the bridge's login again")
	}
}

func (h *absorbHealth) setNames(reasons []string) {
	h.mu.Lock()
	h.names = reasons
	h.mu.Unlock()
}

// loginObserver passes every observation on to next and tells health about
// logins.
type loginObserver struct {
	absorbapi.Observer
	health *absorbHealth
}

func (o loginObserver) ObserveLogin(refresh bool, err error) {
	o.Observer.ObserveLogin(refresh, err)
	o.health.observeLogin(err)
}

// configNames lists the department and course names a configuration gives;
// only the default department is required to resolve for the bridge to
// start, as every user without a department of its own lands there.
func configNames(cfg config.Config) []namecheck.Name {
	var out []namecheck.Name
	if d := cfg.Mapping.DefaultDepartment; d != "" {
		out = append(out, namecheck.Name{Key: "mapping.defaultDepartment", Kind: namecheck.Department, Value: d, Required: true})
	}
	for i, r := range cfg.GroupRules {
		key := "groupRules[" + strconv.Itoa(i) + "]"
		if r.Department != "" {
			out = append(out, namecheck.Name{Key: key + ".department", Kind: namecheck.Department, Value: r.Department})
		}
		for j, c := range r.Courses {
			out = append(out, namecheck.Name{Key: key + ".courses[" + strconv.Itoa(j) + "]", Kind: namecheck.Course, Value: c})
		}
	}
	return out
}

// startCheckTimeout bounds the name check before serving.
const startCheckTimeout = 10 * time.Second

// errNamesUnresolved stops start-up: a required name resolves to nothing.
var errNamesUnresolved = fmt.Errorf("configuration names what Absorb does not hold: %w", errUsage)

// checkNamesAtStart resolves the configured names while Absorb answers. A
// default department that resolves to nothing stops start-up (one line per
// problem on stderr); a group rule's unknown department or course is logged
// and the bridge starts. It reports whether the names still need checking
// (Absorb did not answer, or refused the login): then /readyz says why and
// recheckNames goes on trying.
func (a *app) checkNamesAtStart(ctx context.Context, stderr io.Writer) (pending bool, err error) {
	names := configNames(a.cfg)
	if len(names) == 0 {
		return false, nil
	}
	// An Absorb that does not answer must not hold the start for long: the
	// check then goes on in the background.
	ctx, cancel := context.WithTimeout(ctx, min(a.cfg.Absorb.Timeout, startCheckTimeout))
	defer cancel()
	rep, err := namecheck.Check(ctx, a.absorb, names)
	if err != nil {
		a.namesUnchecked(err)
		return true, nil
	}
	if fatal := rep.Fatal(); len(fatal) > 0 {
		for _, p := range fatal {
			fmt.Fprintln(stderr, "absorb-scim: config:", p)
		}
		return false, errNamesUnresolved
	}
	a.reportNames(rep)
	return false, nil
}

// namesUnchecked records that the names could not be checked.
func (a *app) namesUnchecked(err error) {
	why := "Absorb did not answer"
	if absorbapi.IsUnauthorized(err) || absorbapi.IsForbidden(err) {
		why = loginRefused
	}
	a.log.Warn("configured department and course names not checked yet: "+why+"; checking again until it answers", "error", err)
	a.health.setNames([]string{"configured department and course names not checked yet (" + why + ")"})
}

// reportNames logs every problem of a check Absorb answered and keeps the
// required ones for /readyz. It reports whether all required names resolved.
func (a *app) reportNames(rep namecheck.Report) bool {
	var fatal []string
	for _, p := range rep.Problems {
		if p.Required {
			a.log.Error("configuration names what Absorb does not hold: every user without a department of its own will fail", "problem", p.String())
			fatal = append(fatal, p.String())
			continue
		}
		a.log.Warn("a group rule names what Absorb does not hold: its members are not moved or enrolled there, and each attempt counts as a rule failure", "problem", p.String())
	}
	a.health.setNames(fatal)
	return len(fatal) == 0
}

// recheckNames checks the configured names again until Absorb answers and
// every required name resolves, or ctx ends: first every few seconds, then
// once a minute.
func (a *app) recheckNames(ctx context.Context) {
	wait := 2 * time.Second
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, time.Minute)
		cctx, cancel := context.WithTimeout(ctx, a.cfg.Absorb.Timeout)
		rep, err := namecheck.Check(cctx, a.absorb, configNames(a.cfg))
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.namesUnchecked(err)
			continue
		}
		if a.reportNames(rep) {
			a.log.Info("configured department and course names checked against Absorb", "problems", len(rep.Problems))
			return
		}
	}
}
