package loadtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawClient is one worker's keep-alive HTTP/1.1 connection, written and read
// by hand. The load runs on the same machine as the server, so every
// microsecond the client spends is taken from the server: net/http's client
// costs several times what this one does per request. It speaks only plain
// http, sends Content-Length bodies, and reads Content-Length, chunked and
// close-delimited answers. It is not safe for concurrent use.
type rawClient struct {
	addr    string // host:port to dial
	head    string // Host and Authorization lines, each ending in CRLF
	prefix  string // path of the base URL
	timeout time.Duration
	stopAt  time.Time // no request outlives it; zero: none

	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

// newRawClient returns a client for an http base URL, or nil for https
// (the caller then uses net/http).
func newRawClient(baseURL, token string, timeout time.Duration) (*rawClient, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	head := "Host: " + u.Host + "\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	return &rawClient{addr: addr, head: head, prefix: u.EscapedPath(), timeout: timeout}, nil
}

// errClosed means the server closed a reused connection before answering.
var errClosed = errors.New("connection closed before the answer")

// do sends one request (path relative to the base URL) and reads the whole
// answer, returning its status. A GET that finds its reused connection
// closed is sent once more on a new one.
func (c *rawClient) do(method, path string, body []byte) (int, error) {
	reused := c.conn != nil
	status, err := c.exchange(method, path, body)
	if err != nil {
		c.close()
		if reused && method == "GET" && errors.Is(err, errClosed) {
			status, err = c.exchange(method, path, body)
			if err != nil {
				c.close()
			}
		}
	}
	return status, err
}

func (c *rawClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

func (c *rawClient) exchange(method, path string, body []byte) (int, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		c.br = bufio.NewReaderSize(conn, 32<<10)
		c.bw = bufio.NewWriterSize(conn, 8<<10)
	}
	deadline := time.Now().Add(c.timeout)
	if !c.stopAt.IsZero() && c.stopAt.Before(deadline) {
		deadline = c.stopAt
	}
	_ = c.conn.SetDeadline(deadline)
	w := c.bw
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(c.prefix)
	w.WriteString(path)
	w.WriteString(" HTTP/1.1\r\n")
	w.WriteString(c.head)
	if body != nil {
		w.WriteString("Content-Type: application/scim+json\r\nContent-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n\r\n")
		w.Write(body)
	} else {
		w.WriteString("\r\n")
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return c.readAnswer(method)
}

// readAnswer reads one answer and discards its body.
func (c *rawClient) readAnswer(method string) (int, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)) {
			return 0, errClosed
		}
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "Connection"):
			closing = asciiEqualFold(value, "close")
		}
	}
	switch {
	case method == "HEAD", status == 204, status == 304, status < 200:
	case chunked:
		if err := c.discardChunked(); err != nil {
			return 0, err
		}
	case length >= 0:
		if _, err := c.br.Discard(length); err != nil {
			return 0, err
		}
	default:
		if _, err := io.Copy(io.Discard, c.br); err != nil {
			return 0, err
		}
		closing = true
	}
	if closing {
		c.close()
	}
	return status, nil
}

// discardChunked reads a chunked body and its trailer.
func (c *rawClient) discardChunked() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for {
				t, err := c.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := c.br.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
