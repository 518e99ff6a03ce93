//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
	"github.com/vpnc-go/vpnc-go/cmd/internal/swan"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
)

// TestInteropTsharkSession captures one complete session of vpnc-go with
// strongSwan as the headend in the client's namespace (IKE_SA_INIT,
// IKE_AUTH in RFC 7383 fragments, the EAP-MSCHAPv2 rounds, ESP with
// AES-CBC and HMAC-SHA1, CHILD and IKE rekeys, the Delete) and has tshark,
// an independent dissector, decrypt it with the keys from vpnc-go's
// --keylog: every IKE message decrypts with its integrity check correct,
// the inner ICMP and TCP of the ESP traffic are dissected, and nothing is
// malformed.
func TestInteropTsharkSession(t *testing.T) {
	requireSwan(t)
	tshark := testenv.NeedCommand(t, "tshark", "tshark")
	dumpcap := testenv.NeedCommand(t, "dumpcap", "wireshark-common") // a dependency of tshark
	binary(t)
	c := swanHeadendCase{name: "tshark", auth: "EAP-MSCHAPv2", swanAuth: "eap-mschapv2", ike: seedIKE, esp: cbcESP, ts: splitTS,
		pki: swan.PKIOptions{ServerBits: 4096, Intermediates: 1}, fragSize: 1280}
	sl := newSwanLab(t, false)
	ch, pki := startSwanHeadend(t, sl, c)

	// vpnc-go sends ESP with UDP GSO: without segmentation offload on the
	// client's link the kernel segments before the capture point, so
	// tshark sees each ESP packet on its own instead of super-packets.
	if out, err := sl.Exec("client", "ethtool", "-K", "to-headend", "tx-udp-segmentation", "off"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// dumpcap, tshark's capture engine, names its file once the
	// interface is open and every packet from then on is kept; tshark's
	// own "Capturing on" comes before that.
	pcap := filepath.Join(sl.Dir, "session.pcapng")
	capture, err := sl.Start("client", "dumpcap", "", dumpcap, "-i", "to-headend", "-w", pcap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capture.WaitFor("File: "+pcap, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cl := sl.startVpnc(t, password, "--auth", c.auth, "--user", "alice", "--ike", c.ike, "--esp", c.esp, "--cafile", pki.CA,
		"--child-lifetime", "4s", "--ike-lifetime", "7s")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vpnc-go (last 40 lines):\n%s", tail(cl.Output(), 40))
		}
		keepLog(t, "vpnc-go", cl.Output())
	})
	if _, err := cl.WaitFor("tunnel up in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := sl.Exec("client", "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.InsideAddr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Traffic across the rekeys: a paced stream and pings for 9 s.
	pinged := make(chan error, 1)
	go func() {
		_, err := sl.Exec("client", "ping", "-q", "-c", "40", "-i", "0.2", "-W", "2", lab.InsideAddr)
		pinged <- err
	}()
	if _, _, err := sl.pacedTransfer(ctx, 9*time.Second, 100<<10); err != nil {
		t.Fatal(err)
	}
	if err := <-pinged; err != nil {
		t.Errorf("pings across the rekeys: %v", err)
	}
	if err := cl.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.WaitLog("received DELETE for IKE_SA", 0, 5*time.Second); err != nil {
		t.Error(err)
	}
	keylog, err := os.ReadFile(cl.keylog)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string // tshark options with the key log's SAs
	var ikeSAs, espSAs int
	var lastIKE string // the initiator SPI of the last IKE SA
	for _, line := range strings.Split(strings.TrimSpace(string(keylog)), "\n") {
		if strings.HasPrefix(line, `"IPv4"`) {
			keys = append(keys, "-o", "uat:esp_sa:"+line)
			espSAs++
		} else if line != "" {
			keys = append(keys, "-o", "uat:ikev2_decryption_table:"+line)
			lastIKE, _, _ = strings.Cut(line, ",")
			ikeSAs++
		}
	}
	// The capture ends once it holds the headend's answer to the Delete.
	if err := waitDeleteAnswered(tshark, pcap, keys, lastIKE, 10*time.Second); err != nil {
		t.Error(err)
	}
	capture.Stop(5 * time.Second)

	args := append([]string{"-r", pcap, "-V", "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"}, keys...)
	out, err := exec.Command(tshark, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, tail(string(out), 40))
	}
	text := string(out)
	keepLog(t, "tshark", text)
	for _, bad := range []string{"Malformed", "[Expert Info (Error", "Checksum: incorrect", "Decryption failed", "[incorrect]", "Unknown"} {
		if strings.Contains(text, bad) {
			t.Errorf("tshark reports %q:\n%s", bad, excerptAround(text, bad))
		}
	}
	for _, want := range []string{
		"Exchange type: IKE_SA_INIT (34)",
		"Exchange type: IKE_AUTH (35)",
		"Encrypted and Authenticated Fragment (53)",
		"Certificate (37)",
		"Extensible Authentication (48)",
		"EAP-MS-CHAP-v2",
		"Exchange type: CREATE_CHILD_SA (36)",
		"Delete (42)",
		"Internet Control Message Protocol",
		"Transmission Control Protocol",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("tshark's dissection lacks %q", want)
		}
	}
	// Every protected IKE message (and each fragment) checks out.
	protected := strings.Count(text, "Payload: Encrypted and Authenticated (46)") + strings.Count(text, "Payload: Encrypted and Authenticated Fragment (53)")
	checks := strings.Count(text, "Integrity Checksum Data:")
	correct := len(regexp.MustCompile(`Integrity Checksum Data: .*\[correct\]`).FindAllString(text, -1))
	if protected == 0 || checks != protected || correct != protected {
		t.Errorf("%d protected IKE payloads, %d integrity checks, %d correct", protected, checks, correct)
	}
	// Every ESP packet decrypts, its ICV checks out, and its inner packet
	// is dissected (the pad length is read only after decryption).
	frames := strings.Count(text, "\nFrame ")
	espFrames := strings.Count(text, "\nEncapsulating Security Payload")
	decrypted := strings.Count(text, "ESP Pad Length:")
	icvOK := len(regexp.MustCompile(`ESP ICV: .*\[correct\]`).FindAllString(text, -1))
	if espFrames == 0 || decrypted != espFrames || icvOK != espFrames {
		t.Errorf("%d ESP packets, %d decrypted, %d with a correct ICV", espFrames, decrypted, icvOK)
	}
	t.Logf("%d frames, %d IKE messages or fragments decrypted with correct integrity, %d ESP packets, %d IKE SAs and %d ESP SAs in the key log",
		frames, correct, espFrames, ikeSAs, espSAs)
}

// waitDeleteAnswered waits until the capture, read while tshark still
// writes it, holds the headend's answer to vpnc-go's Delete of the IKE SA
// whose initiator SPI is spiI: an INFORMATIONAL response with that SA's
// SPIs and the Delete request's message ID (RFC 7296 section 1.4.1). It
// checks again each time the file grows.
func waitDeleteAnswered(tshark, pcap string, keys []string, spiI string, timeout time.Duration) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, pcap, unix.IN_MODIFY); err != nil {
		return fmt.Errorf("watching %s: %w", pcap, err)
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for {
		if deleteAnswered(tshark, pcap, keys, spiI) {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("the capture holds no answer to the Delete of IKE SA %s within %s", spiI, timeout)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(left.Milliseconds())+1); err != nil && err != unix.EINTR {
			return fmt.Errorf("waiting for %s to grow: %w", pcap, err)
		}
		for {
			if n, _ := unix.Read(fd, buf); n <= 0 {
				break
			}
		}
	}
}

// deleteAnswered reads the capture so far (a packet cut short at its end
// is left out) and looks for vpnc-go's Delete of the IKE SA spiI and the
// headend's answer to it.
func deleteAnswered(tshark, pcap string, keys []string, spiI string) bool {
	args := append([]string{"-r", pcap}, keys...)
	args = append(args, "-Y", "isakmp.exchangetype == 37", "-T", "fields",
		"-e", "ip.src", "-e", "isakmp.ispi", "-e", "isakmp.messageid", "-e", "isakmp.flag_r", "-e", "isakmp.delete.protoid")
	out, _ := exec.Command(tshark, args...).Output() // fails on the cut packet, after the others
	hex := func(s string) string {
		return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(s, ":", ""), "0x"))
	}
	var request string // the Delete's message ID
	answered := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 5 || hex(f[1]) != hex(spiI) {
			continue
		}
		src, msgID, response := f[0], f[2], f[3] == "1" || f[3] == "True"
		switch {
		case src == lab.ClientAddr && !response && slices.Contains(strings.Split(f[4], ","), "1"): // protocol IKE
			request = msgID
		case src == lab.HeadendAddr && response:
			answered[msgID] = true
		}
	}
	return request != "" && answered[request]
}

func excerptAround(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	return text[max(0, i-1500):min(len(text), i+300)]
}
