//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpnc-go/vpnc-go/cmd/internal/lab"
)

func newBenchCmd() *cobra.Command {
	var suites []string
	var seconds int
	var verbose bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure TCP throughput through a vpnc-go tunnel against the plain path, with iperf3",
		Long: `Build the demo's namespaces, connect a vpnc-go client to the headend emulator
once per ESP suite, and measure one iperf3 TCP stream from the client to the
inside host through the tunnel; then the plain veth path between client and
headend in the same run, as the ceiling. Prints one line per path. The machine
is shared and noisy: compare the tunnel with the veth figure of the same run.
Needs root and iperf3 (Debian package iperf3). Not part of the test run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := exec.LookPath("iperf3"); err != nil {
				return errors.New("bench needs iperf3 (apt-get install iperf3)")
			}
			out := cmd.OutOrStdout()
			o := demoOptions{auth: "EAP-AnyConnect", out: out, verbose: verbose}
			if !verbose {
				o.out = &strings.Builder{} // the demo's step lines are not the point here
			}
			var veth float64
			tunnels := make([]float64, len(suites))
			for i, esp := range suites {
				o.esp = esp
				t, err := startTunnel(o)
				if err != nil {
					return err
				}
				tunnels[i], err = iperf(t.Lab, "inside", lab.InsideAddr, seconds)
				if err == nil && i == 0 {
					veth, err = iperf(t.Lab, "headend", lab.HeadendAddr, seconds)
				}
				t.close()
				if err != nil {
					return err
				}
			}
			for i, esp := range suites {
				fmt.Fprintf(out, "tunnel %s: %.2f Gbit/s (%.0f%% of veth)\n", esp, tunnels[i], 100*tunnels[i]/veth)
			}
			fmt.Fprintf(out, "veth: %.2f Gbit/s\n", veth)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&suites, "esp", []string{"aes256gcm16", "aes256-sha1"}, "ESP `SUITES` to measure")
	cmd.Flags().IntVar(&seconds, "seconds", 10, "length of each iperf3 run")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the demo's steps and commands")
	return cmd
}

// iperf measures one TCP stream from the client namespace to addr, with an
// iperf3 server in namespace ns.
func iperf(l *lab.Lab, ns, addr string, seconds int) (float64, error) {
	srv, err := l.Start(ns, "iperf3 server", "", "iperf3", "-s", "-1", "--forceflush", "-B", addr)
	if err != nil {
		return 0, err
	}
	defer srv.Stop(5 * time.Second)
	if _, err := srv.WaitFor("Server listening", 5*time.Second); err != nil {
		return 0, err
	}
	out, err := l.Exec("client", "iperf3", "-c", addr, "-t", strconv.Itoa(seconds), "-J")
	if err != nil {
		return 0, err
	}
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return 0, fmt.Errorf("iperf3 output: %w", err)
	}
	if r.Error != "" {
		return 0, fmt.Errorf("iperf3: %s", r.Error)
	}
	return r.End.SumReceived.BitsPerSecond / 1e9, nil
}
