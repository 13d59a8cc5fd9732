package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeFile decodes a YAML configuration into cfg. Problems with single
// values (a word where a duration belongs, an unknown key) are added to p
// named by their key, every one of them, and decoding goes on; only a file
// that is not YAML at all is returned as an error.
func decodeFile(path string, raw []byte, cfg *Config, p *problems) error {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	keys := indexKeys(&root)
	for _, msg := range te.Errors {
		*p = append(*p, keyedYAMLProblem(msg, keys))
	}
	return nil
}

// yamlKey is one key of the file: its dotted name, where it and its value
// stand, and the value when it is a scalar.
type yamlKey struct {
	name      string
	field     string // the key as written
	keyLine   int
	valueLine int
	value     string
}

// indexKeys lists every key of a YAML document with its dotted name
// (absorb.rateLimit, auth.tokens[0].hash).
func indexKeys(root *yaml.Node) []yamlKey {
	var out []yamlKey
	var walk func(n *yaml.Node, name string)
	walk = func(n *yaml.Node, name string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, name)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				full := k.Value
				if name != "" {
					full = name + "." + k.Value
				}
				out = append(out, yamlKey{name: full, field: k.Value, keyLine: k.Line, valueLine: v.Line, value: v.Value})
				walk(v, full)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				item := name + "[" + strconv.Itoa(i) + "]"
				if c.Kind == yaml.ScalarNode {
					out = append(out, yamlKey{name: item, keyLine: c.Line, valueLine: c.Line, value: c.Value})
				}
				walk(c, item)
			}
		}
	}
	walk(root, "")
	return out
}

var (
	yamlUnknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	yamlWrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// keyedYAMLProblem rewrites one of yaml's decoding messages to start with
// the key it is about and to speak of what the key wants, not of Go types.
func keyedYAMLProblem(msg string, keys []yamlKey) string {
	if m := yamlUnknownField.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, k := range keys {
			if k.keyLine == line && k.field == m[2] {
				return k.name + ": unknown key (README.md lists every key)"
			}
		}
		return m[2] + ": unknown key on line " + m[1] + " (README.md lists every key)"
	}
	if m := yamlWrongType.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		want := describeGoType(m[4])
		given := "a " + yamlTagWord(m[2])
		if m[3] != "" {
			given = strconv.Quote(m[3])
		}
		for _, k := range keys {
			if k.valueLine == line && (m[3] == "" || k.value == m[3]) {
				return fmt.Sprintf("%s: %s is not %s", k.name, given, want)
			}
		}
		return fmt.Sprintf("line %s: %s is not %s", m[1], given, want)
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// describeGoType says in words what a value of a Go type looks like in the
// file.
func describeGoType(t string) string {
	switch {
	case t == "time.Duration":
		return "a duration (e.g. 30s, 5m, 1h)"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "a single value"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping of names to values"
	}
	return "a mapping of keys"
}

func yamlTagWord(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	}
	return "value"
}
