/* Model vs reality: TinyTorch's measured kernels against the roofline of the machine they ran on. */
'use strict';
const median = a => { const b = a.slice().sort((x, y) => x - y); const n = b.length; return n % 2 ? b[(n - 1) / 2] : (b[n / 2 - 1] + b[n / 2]) / 2; };
Lab.run({
  id: 'reality', title: 'Model vs reality', endpoint: 'measured',
  scenario: 'Every other lab trusts the roofline. Here it meets measurements: TinyTorch kernels timed on this ' +
    'machine (the file given to mlsb-labs --measured), each placed at its arithmetic intensity against the roofline ' +
    'of the machine\'s peak FLOP/s and memory bandwidth.',
  predict: { question: 'How many times slower than the roofline bound is the median measured kernel?', unit: '×', min: 0, max: 1e6 },
  controls: [
    { id: 'eta', label: 'Roof height η (fraction of peak the model assumes)', values: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1], value: 1 }
  ],
  request: s => ({ efficiency: s.eta }),
  metrics: [
    { key: 'machine', label: 'Machine' },
    { key: 'points_n', label: 'Measured points', value: r => r.points.length },
    { key: 'ridge_point_flop_per_byte', label: 'Ridge point' },
    { key: 'median_ratio', label: 'Median measured / predicted', value: r => median(r.points.map(p => p.measured_over_predicted)) },
    { key: 'best_ratio', label: 'Best measured / predicted', value: r => Math.min(...r.points.map(p => p.measured_over_predicted)) }
  ],
  chart: {
    xLabel: 'arithmetic intensity (FLOP/byte)', yLabel: 'FLOP/s',
    series: r => {
      const xs = r.points.map(p => p.intensity_flop_per_byte);
      const lo = Math.min(...xs) / 2, hi = Math.max(...xs) * 2, roof = [];
      for (let i = 0; i <= 40; i++) {
        const x = lo * Math.pow(hi / lo, i / 40);
        roof.push({ x, y: Math.min(r.peak_flop_per_s * r.efficiency, x * r.bandwidth_bytes_per_s) });
      }
      return [{ label: 'roofline (model)', points: roof, line: true },
        { label: 'measured (TinyTorch)', points: r.points.map(p => ({ x: p.intensity_flop_per_byte, y: p.achieved_flop_per_s })) }];
    }
  },
  failure: r => {
    const over = r.points.filter(p => p.measured_over_predicted < 1);
    return over.length ? `Reality beats the model: ${over.map(p => p.name).join(', ')} ran faster than the roof allows at η = ${r.efficiency}. A model that is beaten is wrong: raise η back towards the measured peak.` : null;
  },
  failurePreset: { eta: 0.05 },
  actual: r => median(r.points.map(p => p.measured_over_predicted)),
  lesson: 'The roofline is a bound, not a forecast: real kernels sit below it by their cache misses, launch costs and unvectorised loops — which is why MLSys·im carries an efficiency η.',
  equation: 'T_predicted = max( FLOPs / (peak · η) , bytes / bandwidth )',
  equationNote: 'The peak and bandwidth come from the measured file (the machine the points ran on).'
});
