package engine

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/imgate/gateway/internal/testutil"
)

// sslClient is `openssl s_client`, an independent TLS 1.3 client: it can
// force each cipher suite and send KeyUpdates (a stdin read that starts
// with "k" sends one, "K" one that requests the server's).
type sslClient struct {
	in             io.WriteCloser
	mu             sync.Mutex
	stdout, stderr bytes.Buffer
}

// lockedWriter appends to a buffer under the client's mutex.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startOpenSSL connects s_client to addr with one TLS 1.3 suite, printing
// every TLS message it sends and receives (-msg).
func startOpenSSL(t *testing.T, addr, suite string) *sslClient {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl not found (scripts/deps.sh installs it): %v", err)
	}
	cmd := exec.Command(path, "s_client", "-connect", addr, "-tls1_3", "-ciphersuites", suite,
		"-servername", "localhost", "-alpn", "http/1.1", "-msg", "-no_ign_eof")
	s := &sslClient{}
	cmd.Stdout = lockedWriter{&s.mu, &s.stdout}
	cmd.Stderr = lockedWriter{&s.mu, &s.stderr}
	if s.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	s.waitFor(t, "stdout", "Cipher is "+suite)
	return s
}

// send writes one stdin chunk; the caller waits for its effect before the
// next, so that s_client reads each chunk on its own.
func (s *sslClient) send(t *testing.T, b []byte) {
	t.Helper()
	if _, err := s.in.Write(b); err != nil {
		t.Fatalf("openssl stdin: %v", err)
	}
}

// count returns how many times sub occurs in stream ("stdout" or "stderr").
func (s *sslClient) count(stream, sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &s.stdout
	if stream == "stderr" {
		b = &s.stderr
	}
	return strings.Count(b.String(), sub)
}

// waitFor waits until sub has appeared n times (1 by default) in stream.
func (s *sslClient) waitFor(t *testing.T, stream, sub string, n ...int) {
	t.Helper()
	want := 1
	if len(n) > 0 {
		want = n[0]
	}
	testutil.Eventually(t, testWait, func() error {
		if got := s.count(stream, sub); got < want {
			s.mu.Lock()
			defer s.mu.Unlock()
			return fmt.Errorf("%.60q seen %d times of %d on %s; stdout tail %q; stderr %q", sub, got, want, stream,
				tail(s.stdout.String(), 600), tail(s.stderr.String(), 300))
		}
		return nil
	})
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// TestTLS13OpenSSL: every TLS 1.3 suite on the engine's record layer, with
// KeyUpdates both ways from an independent client: a masked frame and its
// echo before and after a KeyUpdate the client sends alone ("k"), and one
// that asks the server to update its keys too ("K": the server must answer
// with its own KeyUpdate and encrypt the echo under its new key). The
// close handshake ends with the server's close_notify.
func TestTLS13OpenSSL(t *testing.T) {
	for _, suite := range []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"} {
		t.Run(suite, func(t *testing.T) {
			rec := newRecorder(true)
			srv := startTLSServer(t, rec, tlsTestOptions(t), "")
			s := startOpenSSL(t, srv.TLSAddr().String(), suite)
			s.send(t, upgradeHead("/?device_id=openssl", "dGhlIHNhbXBsZSBub25jZQ=="))
			s.waitFor(t, "stdout", "101 Switching Protocols")
			// echo sends a message and waits for its echo, found by its end
			// (s_client prints -msg lines between the records of a long one).
			echo := func(i int, text string) {
				t.Helper()
				s.send(t, msg(OpText, []byte(text)))
				s.waitFor(t, "stdout", text[max(0, len(text)-30):])
				if got := rec.nextMsg(t); string(got.payload) != text {
					t.Fatalf("message %d: server got %q, want %q", i, got.payload, text)
				}
			}
			echo(0, "before-any-key-update")
			s.send(t, []byte("k\n"))
			s.waitFor(t, "stderr", "KEYUPDATE")
			echo(1, "after-client-key-update")
			s.send(t, []byte("K\n"))
			s.waitFor(t, "stderr", "KEYUPDATE", 2)
			s.waitFor(t, "stdout", "<<< TLS 1.3, Handshake [length 0005], KeyUpdate")
			echo(2, "after-requested-key-update")
			for i := range 3 {
				// Each stdin write must reach s_client whole (at most PIPE_BUF
				// bytes): a read that starts inside the masked payload could
				// start with a command letter.
				echo(3+i, fmt.Sprintf("%s-long-%d", strings.Repeat("x", 4000), i))
			}
			s.send(t, closeMsg(CloseNormal, "bye"))
			// -msg prints what arrives: the server's KeyUpdate above, and
			// its close_notify after the close frames.
			s.waitFor(t, "stdout", "<<< TLS 1.3, Alert [length 0002], warning close_notify")
			if n := srv.Stats().TLSOwnRecords.Load(); n != 1 {
				t.Fatalf("TLSOwnRecords %d, want 1", n)
			}
		})
	}
}
