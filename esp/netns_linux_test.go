//go:build linux

package esp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"github.com/vpnc-go/vpnc-go/cmd/testenv"
	"golang.zx2c4.com/wireguard/tun"
)

// Real kernel tests: two network namespaces joined by a veth pair
// (192.0.2.1/24 and 192.0.2.2/24), a real TUN with a Tunnel in each
// (10.2.2.1 and 10.2.2.2), one AES-256-GCM SA pair with fixed keys. Nothing
// leaves the namespaces. They need root (CAP_SYS_ADMIN for namespaces);
// without it they are skipped, unless CI is set.

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS runs f on a thread that is in namespace ns; the thread is thrown away
// afterwards (it stays locked), so no other goroutine runs there.
func inNS(t testing.TB, ns string, f func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	if err := <-errc; err != nil {
		t.Fatalf("in namespace %s: %v", ns, err)
	}
}

// nsPair is the two-namespace set-up.
type nsPair struct {
	ns     [2]string
	tunnel [2]*Tunnel
	errc   chan error
}

const (
	nsOuter0 = "192.0.2.1"
	nsOuter1 = "192.0.2.2"
	nsInner0 = "10.2.2.1"
	nsInner1 = "10.2.2.2"
)

func setupNS(t testing.TB, mtu int) *nsPair {
	t.Helper()
	testenv.NeedRoot(t)
	p := &nsPair{errc: make(chan error, 2)}
	tag := fmt.Sprintf("vpncgo%d", os.Getpid()%100000)
	p.ns = [2]string{tag + "a", tag + "b"}
	for _, ns := range p.ns {
		exec.Command("ip", "netns", "del", ns).Run() // a leftover of a killed run
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "-n", p.ns[0], "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", p.ns[1])
	outer := [2]string{nsOuter0, nsOuter1}
	inner := [2]string{nsInner0, nsInner1}
	for i, ns := range p.ns {
		dev := fmt.Sprintf("veth%d", i)
		run(t, "ip", "-n", ns, "addr", "add", outer[i]+"/24", "dev", dev)
		run(t, "ip", "-n", ns, "link", "set", dev, "up")
	}
	var devs [2]tun.Device
	var conns [2]*net.UDPConn
	for i, ns := range p.ns {
		inNS(t, ns, func() error {
			d, err := tun.CreateTUN("tun0", mtu)
			if err != nil {
				return err
			}
			devs[i] = d
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(outer[i]), Port: NATTPort})
			if err != nil {
				d.Close()
				return err
			}
			conns[i] = c
			return nil
		})
		run(t, "ip", "-n", ns, "addr", "add", inner[i]+"/32", "dev", "tun0")
		run(t, "ip", "-n", ns, "link", "set", "tun0", "up")
		run(t, "ip", "-n", ns, "route", "add", inner[1-i]+"/32", "dev", "tun0", "src", inner[i])
	}
	// Fixed test keys: side 0 is the client (full tunnel), side 1 the
	// headend (the client's /32).
	c2h, h2c := gcmConfig(0xc0000001, 1), gcmConfig(0xc0000002, 2)
	inners := [2][]netip.Prefix{
		{netip.MustParsePrefix("0.0.0.0/0")},
		{netip.MustParsePrefix(nsInner0 + "/32")},
	}
	for i := range 2 {
		outCfg, inCfg := c2h, h2c
		if i == 1 {
			outCfg, inCfg = h2c, c2h
		}
		out, err := NewOutboundSA(outCfg)
		if err != nil {
			t.Fatal(err)
		}
		in, err := NewInboundSA(inCfg)
		if err != nil {
			t.Fatal(err)
		}
		bc, err := NewBatchConn(conns[i])
		if err != nil {
			t.Fatal(err)
		}
		tn, err := NewTunnel(TunnelConfig{TUN: devs[i], Sockets: []Socket{{Conn: bc}}})
		if err != nil {
			t.Fatal(err)
		}
		peer := netip.AddrPortFrom(netip.MustParseAddr(outer[1-i]), NATTPort)
		if err := tn.Install(SAPair{In: in, Out: out, Peer: peer, Inner: inners[i]}); err != nil {
			t.Fatal(err)
		}
		p.tunnel[i] = tn
		go func() { p.errc <- tn.Run(context.Background()) }()
	}
	t.Cleanup(func() {
		for _, tn := range p.tunnel {
			tn.Close()
		}
		for range 2 {
			select {
			case err := <-p.errc:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return")
			}
		}
	})
	return p
}

func TestNetnsTunnel(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ping", "iputils-ping")
	p := setupNS(t, 1400)
	out := run(t, "ip", "netns", "exec", p.ns[0], "ping", "-c", "3", "-i", "0.2", "-W", "2", nsInner1)
	if !strings.Contains(out, " 0% packet loss") {
		t.Fatalf("ping:\n%s", out)
	}
	// TCP through the tunnel: 32 MiB of random data, checked by SHA-256.
	data := make([]byte, 32<<20)
	rand.Read(data)
	want := sha256.Sum256(data)
	var ln net.Listener
	inNS(t, p.ns[1], func() (err error) {
		ln, err = net.Listen("tcp4", nsInner1+":5201")
		return err
	})
	defer ln.Close()
	got := make(chan [32]byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- [32]byte{}
			return
		}
		defer c.Close()
		h := sha256.New()
		io.Copy(h, c)
		got <- [32]byte(h.Sum(nil))
	}()
	var c net.Conn
	inNS(t, p.ns[0], func() (err error) {
		c, err = net.DialTimeout("tcp4", nsInner1+":5201", 5*time.Second)
		return err
	})
	start := time.Now()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.Copy(c, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case sum := <-got:
		if sum != want {
			t.Fatal("the data came through damaged")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the transfer did not finish")
	}
	el := time.Since(start)
	t.Logf("32 MiB over TCP through the tunnel in %v (%.2f Gbit/s, a shared machine: not a benchmark)", el, float64(len(data))*8/el.Seconds()/1e9)
	for i, tn := range p.tunnel {
		st := tn.Stats()
		t.Logf("side %d: %+v", i, st)
		if st.Drops[DropAuth]+st.Drops[DropReplay]+st.Drops[DropMalformed]+st.Drops[DropUnknownSPI] != 0 {
			t.Errorf("side %d dropped ESP", i)
		}
	}
}

// TestNetnsThroughput measures iperf3 over the veth and through the tunnel
// in the same run. It is not part of the default run: VPNC_GO_BENCH=1 go
// test -run NetnsThroughput -v ./esp/ (needs root and iperf3).
func TestNetnsThroughput(t *testing.T) {
	if os.Getenv("VPNC_GO_BENCH") == "" {
		t.Skip("set VPNC_GO_BENCH=1 to measure")
	}
	if _, err := exec.LookPath("iperf3"); err != nil {
		t.Fatal("needs iperf3 (apt-get install iperf3)")
	}
	secs := os.Getenv("VPNC_GO_BENCH_SECONDS")
	if secs == "" {
		secs = "5"
	}
	for _, offload := range []bool{true, false} {
		disableUDPOffload = !offload
		p := setupNS(t, 1400)
		iperf := func(addr string) float64 {
			srv := exec.Command("ip", "netns", "exec", p.ns[1], "iperf3", "-s", "-1", "-B", addr)
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { srv.Process.Kill(); srv.Wait() }()
			var out []byte
			var err error
			for try := 0; try < 50; try++ {
				out, err = exec.Command("ip", "netns", "exec", p.ns[0], "iperf3", "-c", addr, "-t", secs, "-J").Output()
				if err == nil && !bytes.Contains(out, []byte("unable to connect")) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("iperf3 -c %s: %v\n%s", addr, err, out)
			}
			var r struct {
				Error string `json:"error"`
				End   struct {
					SumReceived struct {
						BitsPerSecond float64 `json:"bits_per_second"`
					} `json:"sum_received"`
				} `json:"end"`
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			if r.Error != "" || r.End.SumReceived.BitsPerSecond == 0 {
				t.Fatalf("iperf3 -c %s: %s\n%s", addr, r.Error, out)
			}
			return r.End.SumReceived.BitsPerSecond / 1e9
		}
		veth := iperf(nsOuter1)
		tunnel := iperf(nsInner1)
		fmt.Printf("veth: %.2f Gbit/s\n", veth)
		fmt.Printf("tunnel aes256gcm16 (udp gso/gro %v): %.2f Gbit/s (%.1f%% of veth)\n", offload, tunnel, 100*tunnel/veth)
		for i, tn := range p.tunnel {
			t.Logf("side %d: %+v", i, tn.Stats())
		}
		for _, tn := range p.tunnel {
			tn.Close()
		}
		for _, ns := range p.ns {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	}
	disableUDPOffload = false
}
