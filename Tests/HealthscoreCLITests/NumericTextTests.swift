import Testing
import TestSupport

/// The comparison that recorded outputs (walk-throughs, snapshots) go through: it must let another
/// processor's last digits pass and nothing else.
@Suite struct NumericTextTests {
    @Test func lastDigitsOfAFullPrecisionNumberPass() {
        #expect(NumericText.difference("beta,-0.009268197605464639\n", "beta,-0.009268197605465234\n") == nil)
        #expect(NumericText.difference("[1.5e-07, 2]", "[1.5000000000001e-07, 2]") == nil)
        #expect(NumericText.difference("x 0.0000", "x -0.0000") == nil)
    }

    @Test func anythingElseFails() {
        // A difference in the 8th significant digit.
        #expect(NumericText.difference("-0.009268197", "-0.009268198") != nil)
        // Integers are exact, dates are integers and text.
        #expect(NumericText.difference("observations 4234", "observations 4235") != nil)
        #expect(NumericText.difference("2024-06-03", "2024-06-04") != nil)
        #expect(NumericText.difference("2024-06-03", "2024/06/03") != nil)
        // Identifiers are text, digits and all.
        #expect(NumericText.difference("A000042 1.5", "A000043 1.5") != nil)
        // Text, signs on a number, and a missing token.
        #expect(NumericText.difference("band green", "band red") != nil)
        #expect(NumericText.difference("change +1.5", "change -1.5") != nil)
        #expect(NumericText.difference("1.5, 2.5", "1.5, 2.5, 3.5") != nil)
        #expect(NumericText.difference("a  b", "a b") != nil)
    }
}
