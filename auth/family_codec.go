package auth

import (
	"encoding/binary"
	"fmt"
	"time"
)

// familyFormat is the first byte of an encoded Family.
const familyFormat = 1

// MarshalBinary encodes f for a RefreshStore: a format byte, the three
// strings (length-prefixed), the times (Unix nanoseconds, 0 for zero), the
// generation, the current hash and the spent hashes. Stores share it so
// that their contents can be moved between them.
func (f *Family) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(f.ID)+len(f.UserID)+len(f.DeviceID)+
		4*binary.MaxVarintLen64+32*(1+spentRing))
	b = append(b, familyFormat)
	for _, s := range []string{f.ID, f.UserID, f.DeviceID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, t := range []time.Time{f.Created, f.Expires, f.Revoked} {
		b = binary.AppendVarint(b, unixNano(t))
	}
	b = binary.AppendUvarint(b, uint64(f.Gen))
	b = append(b, f.Current[:]...)
	for i := range f.Spent {
		b = append(b, f.Spent[i][:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded. Any other input is
// an error wrapping ErrStore; f is then unchanged.
func (f *Family) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if d.byte() != familyFormat {
		return fmt.Errorf("%w: unknown family format", ErrStore)
	}
	var out Family
	out.ID = d.str(maxFamilyIDLen)
	out.UserID = d.str(MaxUserIDLen)
	out.DeviceID = d.str(MaxDeviceIDLen)
	out.Created, out.Expires, out.Revoked = d.time(), d.time(), d.time()
	gen := d.uvarint()
	if gen > 1<<32-1 {
		d.fail()
	}
	out.Gen = uint32(gen)
	d.hash(&out.Current)
	for i := range out.Spent {
		d.hash(&out.Spent[i])
	}
	if d.bad || len(d.b) != 0 || out.ID == "" || out.UserID == "" {
		return fmt.Errorf("%w: corrupt family record", ErrStore)
	}
	*f = out
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// decoder reads a Family; after the first fault every read returns zero.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) fail() { d.bad, d.b = true, nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str(maxLen int) string {
	n := d.uvarint()
	if n > uint64(maxLen) || n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v)
}

func (d *decoder) hash(h *[32]byte) {
	if len(d.b) < len(h) {
		d.fail()
		return
	}
	copy(h[:], d.b)
	d.b = d.b[len(h):]
}
