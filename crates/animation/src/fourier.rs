//! The discrete Fourier series of a closed sampled path: the circles of the epicycle style.
//!
//! A path of `N` samples `x_n` (points as complex numbers `x + iy`) has the coefficients
//! `c_k = (1/N) Σ_n x_n e^(-2πi k n / N)`, and `x_n = Σ_k c_k e^(2πi k n / N)` holds exactly for every
//! sample when all `N` terms are summed. Frequencies above `N/2` are used as the negative frequencies
//! `k - N`, so that between samples the series moves along the shortest rotations, as in the classic
//! Fourier-drawing animations. Each term is one circle of radius `|c_k|` that turns `k` times while the
//! path is traced once.

use std::f64::consts::TAU;

use rustfft::FftPlanner;
pub use rustfft::num_complex::Complex64;

/// One term of a Fourier series: a circle of radius `|coefficient|` turning `frequency` times per
/// period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    /// Signed number of turns per period, in `-N/2 < frequency <= N/2`.
    pub frequency: i64,
    /// Radius (modulus) and phase at position 0.
    pub coefficient: Complex64,
}

impl Term {
    /// Returns the term's value at `position`, a sample index (fractional between samples) of a series
    /// of `sample_count` samples.
    #[must_use]
    pub fn at(&self, position: f64, sample_count: usize) -> Complex64 {
        let count = sample_count as f64;
        // Reducing the phase to one turn first keeps f64 precision for high frequencies and long paths.
        let turns = (self.frequency as f64 * position).rem_euclid(count) / count;
        self.coefficient * Complex64::from_polar(1.0, TAU * turns)
    }

    /// Returns the radius of the term's circle.
    #[must_use]
    pub fn radius(&self) -> f64 {
        self.coefficient.norm()
    }
}

/// The complete discrete Fourier series of a closed path of `N` samples.
#[derive(Debug, Clone)]
pub struct FourierSeries {
    /// `c_k` for `k` in `0..N`, in FFT order (index `k`, frequency `k` or `k - N`).
    coefficients: Vec<Complex64>,
}

impl FourierSeries {
    /// Computes the series of the closed path through `samples` with one forward FFT.
    #[must_use]
    pub fn from_samples(samples: &[Complex64]) -> Self {
        let mut coefficients = samples.to_vec();
        if !coefficients.is_empty() {
            FftPlanner::new().plan_fft_forward(coefficients.len()).process(&mut coefficients);
            let scale = 1.0 / coefficients.len() as f64;
            for coefficient in &mut coefficients {
                *coefficient *= scale;
            }
        }
        Self { coefficients }
    }

    /// Returns the number of samples `N`, which is also the number of terms.
    #[must_use]
    pub fn len(&self) -> usize {
        self.coefficients.len()
    }

    /// Returns whether the series was computed from no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.coefficients.is_empty()
    }

    /// Returns the constant term `c_0`: the mean of the samples and the fixed centre of the chain.
    #[must_use]
    pub fn centre(&self) -> Complex64 {
        self.coefficients.first().copied().unwrap_or_default()
    }

    /// Returns the term of FFT index `index` with its signed frequency.
    fn term(&self, index: usize) -> Term {
        let count = self.coefficients.len();
        let frequency = if index <= count / 2 { index as i64 } else { index as i64 - count as i64 };
        Term { frequency, coefficient: self.coefficients[index] }
    }

    /// Returns up to `count` non-constant terms of largest radius, largest first.
    #[must_use]
    pub fn largest_terms(&self, count: usize) -> Vec<Term> {
        let mut terms: Vec<Term> = (1..self.coefficients.len()).map(|index| self.term(index)).collect();
        let by_radius_descending = |a: &Term, b: &Term| b.radius().total_cmp(&a.radius());

        if terms.len() > count {
            if count == 0 {
                return Vec::new();
            }
            terms.select_nth_unstable_by(count - 1, by_radius_descending);
            terms.truncate(count);
        }
        terms.sort_by(by_radius_descending);
        terms
    }

    /// Sums all `N` terms at `position` (a sample index, fractional between samples). At a whole
    /// index it returns that sample, up to rounding. Costs O(N) per call.
    #[must_use]
    pub fn evaluate(&self, position: f64) -> Complex64 {
        let count = self.coefficients.len();
        (0..count).map(|index| self.term(index).at(position, count)).sum()
    }

    /// Returns the values of the full series at every sample index with one inverse FFT: the samples
    /// the series was computed from, up to rounding.
    #[must_use]
    pub fn reconstruct(&self) -> Vec<Complex64> {
        let mut values = self.coefficients.clone();
        if !values.is_empty() {
            FftPlanner::new().plan_fft_inverse(values.len()).process(&mut values);
        }
        values
    }
}
