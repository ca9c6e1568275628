/// A small SVG chart layer: plain strings, no scripts, no external references.
enum SVG {
    static let width = 640.0, height = 300.0
    static let left = 56.0, right = 16.0, top = 28.0, bottom = 44.0
    static let bandColors = ["red": "#d64545", "yellow": "#e8b730", "green": "#3a9d5d"]
    static let palette = ["#3867d6", "#e58e26", "#20bf6b", "#8854d0", "#eb3b5a", "#0fb9b1", "#a5b1c2", "#4b6584"]

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { NumberFormat.fixed(v, 1) }

    static func color(band: String, index: Int) -> String {
        bandColors[band.lowercased()] ?? palette[index % palette.count]
    }

    /// The frame: title, axes with ticks and labels; `x`/`y` map data to pixels.
    struct Frame {
        var xMin: Double, xMax: Double, yMin: Double, yMax: Double
        var x: (Double) -> Double {
            { v in SVG.left + (v - xMin) / max(xMax - xMin, 1e-12) * (SVG.width - SVG.left - SVG.right) }
        }
        var y: (Double) -> Double {
            { v in SVG.height - SVG.bottom - (v - yMin) / max(yMax - yMin, 1e-12) * (SVG.height - SVG.top - SVG.bottom)
            }
        }
    }

    static func open(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(esc(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text x=\"\(left)\" y=\"16\" font-size=\"13\" "
            + "font-weight=\"bold\">\(esc(title))</text>"
    }

    static func axes(
        _ fr: Frame, xLabel: String, yLabel: String, xTicks: [(Double, String)], yTicks: [(Double, String)]
    ) -> String {
        var s =
            "<g stroke=\"#999\"><line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" "
            + "y2=\"\(height - bottom)\"/><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" "
            + "y2=\"\(height - bottom)\"/></g>"
        for (v, l) in xTicks {
            s += "<text x=\"\(f(fr.x(v)))\" y=\"\(height - bottom + 14)\" text-anchor=\"middle\">\(esc(l))</text>"
        }
        for (v, l) in yTicks {
            s +=
                "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(f(fr.y(v)))\" y2=\"\(f(fr.y(v)))\" "
                + "stroke=\"#eee\"/><text x=\"\(left - 4)\" y=\"\(f(fr.y(v) + 4))\" "
                + "text-anchor=\"end\">\(esc(l))</text>"
        }
        s +=
            "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        s +=
            "<text transform=\"translate(14 \((top + height - bottom) / 2)) rotate(-90)\" "
            + "text-anchor=\"middle\">\(esc(yLabel))</text>"
        return s
    }

    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5, format: (Double) -> String) -> [(Double, String)] {
        (0...count).map { i in
            let v = lo + (hi - lo) * Double(i) / Double(count); return (v, format(v))
        }
    }

    /// Histogram of scores 0–100 in 5-point bins, each bar coloured by its band.
    static func scoreHistogram(_ scores: [Double], bands: [Band], title: String) -> String {
        var counts = [Int](repeating: 0, count: 20)
        for s in scores { counts[min(19, max(0, Int(s / 5)))] += 1 }
        let fr = Frame(xMin: 0, xMax: 100, yMin: 0, yMax: Double(max(1, counts.max()!)))
        var s =
            open(title)
            + axes(
                fr, xLabel: "score", yLabel: "accounts", xTicks: ticks(0, 100, format: { String(Int($0)) }),
                yTicks: ticks(0, fr.yMax, count: 4, format: { String(Int($0.rounded())) }))
        let rules = ScoringRules(factors: [], bands: bands)
        for (i, c) in counts.enumerated() where c > 0 {
            let b = bands[rules.bandIndex(Double(i) * 5 + 2.5)].name
            let x0 = fr.x(Double(i) * 5), x1 = fr.x(Double(i + 1) * 5)
            s +=
                "<rect x=\"\(f(x0 + 1))\" y=\"\(f(fr.y(Double(c))))\" width=\"\(f(x1 - x0 - 2))\" "
                + "height=\"\(f(fr.y(0) - fr.y(Double(c))))\" "
                + "fill=\"\(color(band: b, index: i))\"><title>\(i * 5)–\(i * 5 + 5): \(c)</title></rect>"
        }
        return s + "</svg>"
    }

    /// Stacked shares of each band at each date.
    static func bandShares(
        _ rows: [(date: String, shares: [Double])], bandNames: [String], title: String,
        markers: [(position: Int, label: String)] = []
    ) -> String {
        let fr = Frame(xMin: 0, xMax: Double(max(1, rows.count)), yMin: 0, yMax: 1)
        let step = max(1, rows.count / 6)
        var s =
            open(title)
            + axes(
                fr, xLabel: "date", yLabel: "share of accounts",
                xTicks: stride(from: 0, to: rows.count, by: step).map { (Double($0) + 0.5, rows[$0].date) },
                yTicks: ticks(0, 1, count: 4, format: { NumberFormat.percent($0, 0) }))
        for (i, r) in rows.enumerated() {
            var acc = 0.0
            for (k, share) in r.shares.enumerated() where share > 0 {
                let y0 = fr.y(acc), y1 = fr.y(acc + share)
                s +=
                    "<rect x=\"\(f(fr.x(Double(i)) + 0.5))\" y=\"\(f(y1))\" width=\"\(f(fr.x(1) - fr.x(0) - 1))\" "
                    + "height=\"\(f(y0 - y1))\" fill=\"\(color(band: bandNames[k], index: k))\"/>"
                acc += share
            }
        }
        // Where a configuration version took effect: a dashed line at its first date, with its id.
        for m in markers {
            let x = f(fr.x(Double(m.position)))
            s +=
                "<line class=\"version\" x1=\"\(x)\" y1=\"\(f(fr.y(1)))\" x2=\"\(x)\" y2=\"\(f(fr.y(0)))\" "
                + "stroke=\"#111\" stroke-dasharray=\"4 3\"><title>configuration \(esc(m.label))</title></line>"
                + "<text x=\"\(f(fr.x(Double(m.position)) + 3))\" y=\"\(f(fr.y(1) + 10))\">\(esc(m.label))</text>"
        }
        for (k, b) in bandNames.enumerated() {
            s +=
                "<rect x=\"\(width - right - 80)\" y=\"\(top + Double(k) * 14)\" width=\"10\" height=\"10\" "
                + "fill=\"\(color(band: b, index: k))\"/><text x=\"\(width - right - 66)\" "
                + "y=\"\(top + Double(k) * 14 + 9)\">\(esc(b))</text>"
        }
        return s + "</svg>"
    }

    /// Lines through points on [0,1]² (ROC, reliability), with the diagonal for reference.
    static func unitLines(
        _ series: [(name: String, points: [(Double, Double)])], title: String, xLabel: String, yLabel: String,
        maxValue: Double = 1
    ) -> String {
        lines(series, title: title, xLabel: xLabel, yLabel: yLabel, xMax: maxValue, yMax: maxValue, diagonal: true)
    }

    /// Lines over [0, xMax] × [0, yMax] (the diagonal dashed when asked), a legend per series.
    static func lines(
        _ series: [(name: String, points: [(Double, Double)])], title: String, xLabel: String, yLabel: String,
        xMax: Double, yMax: Double, diagonal: Bool
    ) -> String {
        let fr = Frame(xMin: 0, xMax: xMax, yMin: 0, yMax: yMax)
        let xFormat: (Double) -> String = { xMax > 10 ? NumberFormat.fixed($0, 0) : NumberFormat.fixed($0, 2) }
        var s =
            open(title)
            + axes(
                fr, xLabel: xLabel, yLabel: yLabel, xTicks: ticks(0, xMax, format: xFormat),
                yTicks: ticks(0, yMax, format: { NumberFormat.fixed($0, yMax < 0.1 ? 3 : 2) }))
        if diagonal {
            s +=
                "<line x1=\"\(f(fr.x(0)))\" y1=\"\(f(fr.y(0)))\" x2=\"\(f(fr.x(xMax)))\" y2=\"\(f(fr.y(yMax)))\" "
                + "stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>"
        }
        for (k, ser) in series.enumerated() {
            let pts = ser.points.map { "\(f(fr.x($0.0))),\(f(fr.y($0.1)))" }.joined(separator: " ")
            s +=
                "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(palette[k % palette.count])\" "
                + "stroke-width=\"2\"/>"
            for p in ser.points where ser.points.count <= 20 {
                s +=
                    "<circle cx=\"\(f(fr.x(p.0)))\" cy=\"\(f(fr.y(p.1)))\" r=\"3\" "
                    + "fill=\"\(palette[k % palette.count])\"/>"
            }
            s +=
                "<rect x=\"\(left + 10)\" y=\"\(top + Double(k) * 14)\" width=\"10\" height=\"10\" "
                + "fill=\"\(palette[k % palette.count])\"/><text x=\"\(left + 24)\" "
                + "y=\"\(top + Double(k) * 14 + 9)\">\(esc(ser.name))</text>"
        }
        return s + "</svg>"
    }

    /// Paired horizontal bars (current vs suggested) with optional interval whiskers on the second.
    static func weightBars(
        _ names: [String], current: [Double], suggested: [Double], low: [Double]?, high: [Double]?, title: String
    ) -> String {
        let h = max(height, top + bottom + Double(names.count) * 26)
        let maxV = max(1, (current + suggested + (high ?? [])).max() ?? 1)
        let x0 = 150.0, x1 = width - right - 10
        func x(_ v: Double) -> Double { x0 + v / maxV * (x1 - x0) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(h))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(esc(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text "
            + "x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        for (i, n) in names.enumerated() {
            let y = top + Double(i) * 26
            s += "<text x=\"\(x0 - 6)\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(esc(n))</text>"
            s +=
                "<rect x=\"\(x0)\" y=\"\(f(y + 2))\" width=\"\(f(x(current[i]) - x0))\" height=\"9\" "
                + "fill=\"#a5b1c2\"><title>current \(f(current[i]))</title></rect>"
            s +=
                "<rect x=\"\(x0)\" y=\"\(f(y + 12))\" width=\"\(f(x(suggested[i]) - x0))\" height=\"9\" "
                + "fill=\"#3867d6\"><title>suggested \(f(suggested[i]))</title></rect>"
            if let low, let high, low[i].isFinite, high[i].isFinite {
                s +=
                    "<line x1=\"\(f(x(low[i])))\" x2=\"\(f(x(high[i])))\" y1=\"\(f(y + 16.5))\" "
                    + "y2=\"\(f(y + 16.5))\" stroke=\"#222\" stroke-width=\"1.5\"/>"
            }
        }
        let ly = h - 14
        s +=
            "<rect x=\"\(x0)\" y=\"\(f(ly - 9))\" width=\"10\" height=\"10\" fill=\"#a5b1c2\"/><text "
            + "x=\"\(x0 + 14)\" y=\"\(f(ly))\">current</text><rect x=\"\(x0 + 80)\" y=\"\(f(ly - 9))\" width=\"10\" "
            + "height=\"10\" fill=\"#3867d6\"/><text x=\"\(x0 + 94)\" y=\"\(f(ly))\">suggested (line: 95% bootstrap "
            + "interval)</text>"
        return s + "</svg>"
    }

    /// Factor × horizon heat map of AUC (0.5 white → 1 dark).
    static func heatmap(_ rows: [String], columns: [String], values: [[Double?]], title: String) -> String {
        let cellW = min(90.0, (width - 170 - right) / Double(max(1, columns.count))), cellH = 22.0
        let h = top + 24 + Double(rows.count) * cellH + 10
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(h))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(esc(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text "
            + "x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        for (j, c) in columns.enumerated() {
            s +=
                "<text x=\"\(f(170 + (Double(j) + 0.5) * cellW))\" y=\"\(top + 12)\" "
                + "text-anchor=\"middle\">\(esc(c))</text>"
        }
        for (i, r) in rows.enumerated() {
            let y = top + 20 + Double(i) * cellH
            s += "<text x=\"164\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(esc(r))</text>"
            for (j, v) in values[i].enumerated() {
                let t = max(0, min(1, ((v ?? 0.5) - 0.5) / 0.3))
                let shade = Int(255 - t * 200)
                s +=
                    "<rect x=\"\(f(170 + Double(j) * cellW))\" y=\"\(f(y))\" width=\"\(f(cellW - 2))\" "
                    + "height=\"\(cellH - 2)\" fill=\"rgb(\(shade),\(shade),255)\"/>"
                s +=
                    "<text x=\"\(f(170 + (Double(j) + 0.5) * cellW))\" y=\"\(f(y + 15))\" text-anchor=\"middle\" "
                    + "fill=\"\(t > 0.6 ? "#fff" : "#222")\">\(v.map { NumberFormat.fixed($0, 2) } ?? "–")</text>"
            }
        }
        return s + "</svg>"
    }

    /// Funnel plot: observed/expected against expected churns, with the 95 % Poisson limits around 1.
    static func funnel(_ points: [(name: String, expected: Double, ratio: Double)], title: String) -> String {
        let maxE = max(1, points.map(\.expected).max() ?? 1) * 1.1
        let maxR = max(2, (points.map(\.ratio).max() ?? 1) * 1.1)
        let fr = Frame(xMin: 0, xMax: maxE, yMin: 0, yMax: maxR)
        var s =
            open(title)
            + axes(
                fr, xLabel: "expected churns (book size × risk)", yLabel: "observed ÷ expected",
                xTicks: ticks(0, maxE, format: { String(Int($0.rounded())) }),
                yTicks: ticks(0, maxR, count: 4, format: { NumberFormat.fixed($0, 1) }))
        var lo: [String] = [], hi: [String] = []
        for i in 1...60 {
            let e = maxE * Double(i) / 60
            let k = Int(e.rounded())
            let ci = PoissonInterval.garwood(k)
            lo.append("\(f(fr.x(e))),\(f(fr.y(min(maxR, ci.low / e))))");
            hi.append("\(f(fr.x(e))),\(f(fr.y(min(maxR, ci.high / e))))")
        }
        s +=
            "<polyline points=\"\(lo.joined(separator: " "))\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 "
            + "3\"/><polyline points=\"\(hi.joined(separator: " "))\" fill=\"none\" stroke=\"#bbb\" "
            + "stroke-dasharray=\"4 3\"/>"
        s +=
            "<line x1=\"\(f(fr.x(0)))\" x2=\"\(f(fr.x(maxE)))\" y1=\"\(f(fr.y(1)))\" y2=\"\(f(fr.y(1)))\" "
            + "stroke=\"#888\"/>"
        for p in points {
            s +=
                "<circle cx=\"\(f(fr.x(p.expected)))\" cy=\"\(f(fr.y(min(maxR, p.ratio))))\" r=\"4\" "
                + "fill=\"#3867d6\"><title>\(esc(p.name)): \(NumberFormat.fixed(p.ratio, 2))</title></circle>"
            s +=
                "<text x=\"\(f(fr.x(p.expected) + 6))\" y=\"\(f(fr.y(min(maxR, p.ratio)) + 4))\" "
                + "font-size=\"9\">\(esc(p.name))</text>"
        }
        return s + "</svg>"
    }

    /// Forest plot: one row per term, a point and its interval on a log scale, with the line at 1.
    static func forest(
        _ names: [String], estimate: [Double], low: [Double], high: [Double], title: String, xLabel: String
    ) -> String {
        let h = max(height, top + bottom + Double(names.count) * 24)
        let finite = (low + high + estimate).filter { $0.isFinite && $0 > 0 }
        let lo = min(0.5, finite.min() ?? 0.5), hi = max(2, finite.max() ?? 2)
        let x0 = 150.0, x1 = width - right - 70
        func x(_ v: Double) -> Double { x0 + (_log(max(v, lo)) - _log(lo)) / (_log(hi) - _log(lo)) * (x1 - x0) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(h))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(esc(title))\" "
            + "font-family=\"sans-serif\" font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text "
            + "x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        let yEnd = top + Double(names.count) * 24
        s +=
            "<line x1=\"\(f(x(1)))\" x2=\"\(f(x(1)))\" y1=\"\(top)\" y2=\"\(f(yEnd))\" stroke=\"#888\" "
            + "stroke-dasharray=\"4 3\"/>"
        for (i, n) in names.enumerated() {
            let y = top + Double(i) * 24 + 12
            let colour = high[i] < 1 ? "#20bf6b" : (low[i] > 1 ? "#d64545" : "#4b6584")
            s += "<text x=\"\(x0 - 6)\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(esc(n))</text>"
            s +=
                "<line x1=\"\(f(x(low[i])))\" x2=\"\(f(x(high[i])))\" y1=\"\(f(y))\" y2=\"\(f(y))\" "
                + "stroke=\"\(colour)\" stroke-width=\"2\"/>"
            s +=
                "<circle cx=\"\(f(x(estimate[i])))\" cy=\"\(f(y))\" r=\"4.5\" fill=\"\(colour)\"><title>\(esc(n)): "
                + "\(NumberFormat.fixed(estimate[i], 2)) "
                + "(\(NumberFormat.fixed(low[i], 2))–\(NumberFormat.fixed(high[i], 2)))</title></circle>"
            s += "<text x=\"\(f(x1 + 8))\" y=\"\(f(y + 4))\">\(NumberFormat.fixed(estimate[i], 2))</text>"
        }
        for v in [0.25, 0.5, 1, 2, 4] where v >= lo && v <= hi {
            s +=
                "<text x=\"\(f(x(v)))\" y=\"\(f(yEnd + 14))\" text-anchor=\"middle\">\(NumberFormat.fixed(v, 2))</text>"
        }
        s += "<text x=\"\((x0 + x1) / 2)\" y=\"\(f(yEnd + 30))\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        return s + "</svg>"
    }
}
