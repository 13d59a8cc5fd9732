package config

import (
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
)

// Safety holds the brakes that keep a misconfigured IdP from doing harm
// Absorb cannot undo.
type Safety struct {
	DeactivationLimit DeactivationLimit `yaml:"deactivationLimit"`
}

// DeactivationLimit is safety.deactivationLimit: beyond Max deactivations
// within Window, further deactivations are held rather than sent to Absorb.
type DeactivationLimit struct {
	// Max is how many deactivations Window lets through; 0 turns the brake off.
	Max int `yaml:"max"`
	// Window is the sliding window Max counts over.
	Window time.Duration `yaml:"window"`
}

// defaultSafety is the brake a configuration that says nothing gets.
func defaultSafety() Safety {
	return Safety{DeactivationLimit: DeactivationLimit{Max: 50, Window: 10 * time.Minute}}
}

// BridgeDeactivationLimit is safety.deactivationLimit as the bridge takes it.
func (c Config) BridgeDeactivationLimit() bridge.DeactivationLimit {
	l := c.Safety.DeactivationLimit
	return bridge.DeactivationLimit{Max: l.Max, Window: l.Window}
}

func (c *Config) validateSafety(p *problems) {
	l := c.Safety.DeactivationLimit
	if l.Max < 0 {
		p.add("safety.deactivationLimit.max", "%d must be 0 (no brake) or more", l.Max)
	}
	if l.Max > 0 && l.Window <= 0 {
		p.add("safety.deactivationLimit.window", "%s must be positive (e.g. 10m)", l.Window)
	}
}
