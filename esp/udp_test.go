package esp

import (
	"bytes"
	"testing"
)

func TestClassify(t *testing.T) {
	ike := []byte{0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0x21, 0x20}
	espPkt := []byte{0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 1, 0xde, 0xad}
	cases := []struct {
		in   []byte
		kind Kind
		body []byte
	}{
		{nil, KindInvalid, nil},
		{[]byte{}, KindInvalid, nil},
		{[]byte{0xff}, KindKeepalive, nil},
		{[]byte{0x00}, KindInvalid, nil},
		{[]byte{0xff, 0xff}, KindInvalid, nil},
		{[]byte{0, 0, 0, 0}, KindInvalid, nil},
		{[]byte{1, 2, 3, 4, 5, 6, 7}, KindInvalid, nil},
		{ike, KindIKE, ike[4:]},
		{espPkt, KindESP, espPkt},
		{[]byte{0, 0, 0, 1, 0, 0, 0, 0}, KindESP, []byte{0, 0, 0, 1, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		k, body := Classify(c.in)
		if k != c.kind || !bytes.Equal(body, c.body) {
			t.Errorf("% x: %v % x, want %v % x", c.in, k, body, c.kind, c.body)
		}
	}
	if spi, ok := SPI(espPkt); !ok || spi != 0xc0ffee01 {
		t.Errorf("SPI %#x %v", spi, ok)
	}
	if _, ok := SPI(espPkt[:7]); ok {
		t.Error("SPI of 7 bytes")
	}
	for _, k := range []Kind{KindInvalid, KindIKE, KindESP, KindKeepalive} {
		if k.String() == "" {
			t.Error("no name")
		}
	}
}

func TestBuildUDP(t *testing.T) {
	if ka := AppendKeepalive(nil); !bytes.Equal(ka, []byte{0xff}) {
		t.Fatalf("keepalive % x", ka)
	}
	if k, _ := Classify(AppendKeepalive(nil)); k != KindKeepalive {
		t.Fatal(k)
	}
	msg := bytes.Repeat([]byte{0xab}, 28)
	d := AppendIKE([]byte{9}, msg)
	if !bytes.Equal(d, append([]byte{9, 0, 0, 0, 0}, msg...)) {
		t.Fatalf("% x", d)
	}
	if k, body := Classify(d[1:]); k != KindIKE || !bytes.Equal(body, msg) {
		t.Fatal(k)
	}
	buf := make([]byte, 40)
	for i := range buf {
		buf[i] = 0xee
	}
	copy(buf[6:], msg)
	p, err := PrependMarker(buf, 6, len(msg))
	if err != nil || &p[0] != &buf[2] || !bytes.Equal(p, append([]byte{0, 0, 0, 0}, msg...)) {
		t.Fatalf("% x %v", p, err)
	}
	for _, c := range [][2]int{{3, 1}, {4, 37}, {41, 0}, {4, -1}} {
		if _, err := PrependMarker(buf, c[0], c[1]); err != ErrShortBuffer {
			t.Errorf("off %d n %d: %v", c[0], c[1], err)
		}
	}
}
