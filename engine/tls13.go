package engine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// The engine's own TLS 1.3 record layer (RFC 8446 §5). crypto/tls does the
// handshake; once it is over, a TLS 1.3 connection drops its *tls.Conn
// (about 4 KB it cannot release: handshake buffers, a record buffer, the
// tls.Conn itself) and keeps only what protects records: the suite, one
// AEAD, IV, sequence number and traffic secret per direction.

// Record layer constants (RFC 8446 §5, §6, §4.6.3).
const (
	recordTypeCCS     = 20
	recordTypeAlert   = 21
	recordTypeAppData = 23
	typeKeyUpdate     = 24
	// maxCiphertext13 is the largest TLSCiphertext.length a peer may send.
	maxCiphertext13 = maxRecordPlaintext + 256
	// maxInner13 is the largest TLSInnerPlaintext (content and its type).
	maxInner13 = maxRecordPlaintext + 1
	// recordOverhead13 is what one record adds to its content: the header,
	// the inner content type and the AEAD tag.
	recordOverhead13 = recordHeaderLen + 1 + 16
	// maxUseless13 is how many records in a row may carry no application
	// data (empty records, user_canceled, KeyUpdate), as crypto/tls allows.
	maxUseless13 = 16
)

// Alert descriptions the record layer sends or recognises (RFC 8446 §6).
const (
	alertCloseNotify       = 0
	alertUnexpectedMessage = 10
	alertBadRecordMAC      = 20
	alertRecordOverflow    = 22
	alertIllegalParameter  = 47
	alertProtocolVersion   = 70
	alertInternalError     = 80
	alertUserCanceled      = 90
)

// tls13Suite is a TLS 1.3 cipher suite the engine protects records with.
type tls13Suite struct {
	idx    uint8 // in tls13Suites
	id     uint16
	keyLen int
	hash   func() hash.Hash
	aead   func(key []byte) (cipher.AEAD, error)
}

var tls13Suites = [...]tls13Suite{
	{idx: 0, id: 0x1301, keyLen: 16, hash: sha256.New, aead: newAESGCM},            // TLS_AES_128_GCM_SHA256
	{idx: 1, id: 0x1302, keyLen: 32, hash: sha512.New384, aead: newAESGCM},         // TLS_AES_256_GCM_SHA384
	{idx: 2, id: 0x1303, keyLen: 32, hash: sha256.New, aead: chacha20poly1305.New}, // TLS_CHACHA20_POLY1305_SHA256
}

// suite13 returns the suite with the given id, or nil.
func suite13(id uint16) *tls13Suite {
	for i := range tls13Suites {
		if tls13Suites[i].id == id {
			return &tls13Suites[i]
		}
	}
	return nil
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// name is the suite's IANA name.
func (s *tls13Suite) name() string {
	return [...]string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}[s.idx]
}

// secretLen is the length of the suite's traffic secrets (its hash's).
func (s *tls13Suite) secretLen() int {
	if s.id == 0x1302 {
		return 48
	}
	return 32
}

// expandLabel is HKDF-Expand-Label(secret, label, "", n) (RFC 8446 §7.1).
func (s *tls13Suite) expandLabel(secret []byte, label string, n int) ([]byte, error) {
	var info [2 + 1 + 6 + 18 + 1]byte
	full := "tls13 " + label
	binary.BigEndian.PutUint16(info[:], uint16(n))
	info[2] = byte(len(full))
	k := 3 + copy(info[3:], full)
	info[k] = 0 // empty context
	return hkdf.Expand(s.hash, secret, string(info[:k+1]), n)
}

// tls13Half protects one direction of a connection's records. Its fields
// fill 85 of 88 bytes: two halves are one 176-byte allocation.
type tls13Half struct {
	aead   cipher.AEAD
	seq    uint64   // of the next record
	iv     [12]byte // the traffic key's write_iv
	suite  uint8    // index in tls13Suites
	secret [48]byte // the current traffic secret (suite.secretLen bytes)
}

// setSecret derives the key and IV of a traffic secret (RFC 8446 §7.3)
// and starts its sequence at 0.
func (h *tls13Half) setSecret(s *tls13Suite, secret []byte) error {
	key, err := s.expandLabel(secret, "key", s.keyLen)
	if err != nil {
		return err
	}
	defer clear(key)
	iv, err := s.expandLabel(secret, "iv", len(h.iv))
	if err != nil {
		return err
	}
	aead, err := s.aead(key)
	if err != nil {
		return err
	}
	h.aead, h.seq, h.suite = aead, 0, s.idx
	copy(h.iv[:], iv)
	clear(iv)
	copy(h.secret[:], secret)
	return nil
}

// update moves to the next traffic secret (RFC 8446 §7.2).
func (h *tls13Half) update() error {
	s := &tls13Suites[h.suite]
	next, err := s.expandLabel(h.secret[:s.secretLen()], "traffic upd", s.secretLen())
	if err != nil {
		return err
	}
	defer clear(next)
	return h.setSecret(s, next)
}

// nonce writes the per-record nonce into nb: the IV XOR the sequence
// number, left-padded (RFC 8446 §5.3). nb lives outside the stack so that
// passing it to the AEAD interface does not allocate.
func (h *tls13Half) nonce(nb *[12]byte) []byte {
	*nb = h.iv
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], h.seq)
	for i, b := range seq {
		nb[4+i] ^= b
	}
	return nb[:]
}

// open decrypts one complete record (header included) and appends its
// inner plaintext, content type included, to dst. It reports false when
// the record does not authenticate. The sequence number advances only on
// success.
func (h *tls13Half) open(dst, rec []byte, nb *[12]byte) ([]byte, bool) {
	out, err := h.aead.Open(dst, h.nonce(nb), rec[recordHeaderLen:], rec[:recordHeaderLen])
	if err != nil {
		return dst, false
	}
	h.seq++
	return out, true
}

// seal appends one record carrying p (at most maxRecordPlaintext bytes)
// of content type typ to out. It allocates only when out has less than
// len(p)+recordOverhead13 bytes of spare capacity.
func (h *tls13Half) seal(out []byte, typ byte, p []byte, nb *[12]byte) []byte {
	start := len(out)
	out = append(out, 0, 0, 0, 0, 0)
	out = append(out, p...)
	return h.finish(out, start, typ, nb)
}

// finish seals the record begun at out[start:]: room for its header, then
// its content. It appends the content type typ, encrypts in place, appends
// the tag and writes the header.
func (h *tls13Half) finish(out []byte, start int, typ byte, nb *[12]byte) []byte {
	body := start + recordHeaderLen
	out = append(out, typ)
	n := len(out) - body + h.aead.Overhead()
	out[start], out[start+1], out[start+2] = recordTypeAppData, 3, 3
	out[start+3], out[start+4] = byte(n>>8), byte(n)
	out = h.aead.Seal(out[:body], h.nonce(nb), out[body:], out[start:body])
	h.seq++
	return out
}

// innerType strips the zero padding of a TLSInnerPlaintext and returns
// its content and content type; type 0 means it was all padding.
func innerType(p []byte) ([]byte, byte) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0 {
			return p[:i], p[i]
		}
	}
	return p[:0], 0
}
