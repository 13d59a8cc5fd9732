package scim

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A client that stops sending its body half-way (it closes its side of the
// connection) gets a 400, logged at info level: not a 500 that the error
// rate counts.
func TestAbortedBodyIsTheClientsError(t *testing.T) {
	for _, path := range []string{"/scim/v2/Users", "/scim/v2/Bulk"} {
		t.Run(path, func(t *testing.T) {
			e, _ := newBulkEnv(t)
			conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			partial := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hal`
			_, err = conn.Write([]byte("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/scim+json\r\n" +
				"Content-Length: 4096\r\n\r\n" + partial))
			if err != nil {
				t.Fatal(err)
			}
			if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read the answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "level=INFO") || !strings.Contains(logs, "abandoned by the client") || strings.Contains(logs, "level=ERROR") {
				t.Fatalf("logs:\n%s\nwant one info line saying the client abandoned the request", logs)
			}
		})
	}
}
