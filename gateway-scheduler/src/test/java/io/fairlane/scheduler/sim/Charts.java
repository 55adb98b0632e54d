package io.fairlane.scheduler.sim;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the simulator's PNG charts with XChart. */
final class Charts {

    private static final int W = 640;
    private static final int H = 400;

    private Charts() {
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendBackgroundColor(new Color(255, 255, 255, 200));
        c.getStyler().setDecimalPattern("#,##0.##");
        return c;
    }

    private static void line(XYChart c, String name, double[] x, double[] y) {
        if (x.length == 0) {
            return;
        }
        XYSeries s = c.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.NONE);
    }

    /** Per policy, each tenant's service rate (weighted service units per second) between samples. */
    static void serviceOverTime(Scenario s, List<RunResult> runs, Path file) throws IOException {
        BufferedImage[] panels = new BufferedImage[runs.size()];
        for (int p = 0; p < runs.size(); p++) {
            RunResult r = runs.get(p);
            XYChart c = chart(r.policy() + ": service rate per tenant", "time (s)", "service units / s");
            double[] t = r.sampleTimes();
            for (RunResult.TenantResult tr : r.tenants()) {
                double[] x = new double[Math.max(0, t.length - 1)];
                double[] y = new double[x.length];
                for (int i = 1; i < t.length; i++) {
                    x[i - 1] = t[i];
                    y[i - 1] = (tr.service()[i] - tr.service()[i - 1]) / (t[i] - t[i - 1]);
                }
                line(c, tr.id(), x, y);
            }
            panels[p] = BitmapEncoder.getBufferedImage(c);
        }
        grid(panels, file);
    }

    /** Per policy, each tenant's TTFT distribution (log time axis). */
    static void ttftCdf(Scenario s, List<RunResult> runs, Path file) throws IOException {
        BufferedImage[] panels = new BufferedImage[runs.size()];
        for (int p = 0; p < runs.size(); p++) {
            RunResult r = runs.get(p);
            XYChart c = chart(r.policy() + ": TTFT CDF", "time to first token (s, log)", "fraction of requests");
            c.getStyler().setXAxisLogarithmic(true);
            c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
            for (RunResult.TenantResult tr : r.tenants()) {
                double[] v = tr.ttfts();
                int points = Math.min(v.length, 400);
                double[] x = new double[points];
                double[] y = new double[points];
                for (int i = 0; i < points; i++) {
                    int k = (int) ((long) (i + 1) * v.length / points) - 1;
                    x[i] = Math.max(v[k], 1e-3);
                    y[i] = (k + 1.0) / v.length;
                }
                line(c, tr.id(), x, y);
            }
            panels[p] = BitmapEncoder.getBufferedImage(c);
        }
        grid(panels, file);
    }

    /** All policies on one chart: the largest accumulated service difference between backlogged tenants. */
    static void serviceDifference(Scenario s, List<RunResult> runs, Path file) throws IOException {
        XYChart c = chart("Service difference while both tenants are backlogged", "time (s)",
                "|W_A - W_B| (service units)");
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        for (RunResult r : runs) {
            line(c, r.policy(), r.sampleTimes(), r.serviceDiff());
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void grid(BufferedImage[] panels, Path file) throws IOException {
        int cols = 2;
        int rows = (panels.length + cols - 1) / cols;
        BufferedImage out = new BufferedImage(cols * W, rows * H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < panels.length; i++) {
            g.drawImage(panels[i], (i % cols) * W, (i / cols) * H, null);
        }
        g.dispose();
        ImageIO.write(out, "png", file.toFile());
    }
}
