/* The carbon budget: the same joules emit 80x more CO2 on one grid than on another. */
'use strict';
const REGIONS = ['Norway', 'Quebec', 'Iceland', 'France', 'Iowa', 'EU_Avg', 'Germany', 'Texas', 'US_Avg', 'China_Avg', 'India_Avg', 'Poland'];
Lab.run({
  id: 'carbon', title: 'The carbon budget', endpoint: 'train',
  scenario: 'Your lab may emit a fixed budget of CO₂e for a 1024-GPU Llama-3 70B training run. The run draws the same ' +
    'energy anywhere; the grid\'s carbon intensity (and the data centre\'s PUE) decide the emissions.',
  predict: { question: '1024 H100s for 30 days on the US average grid: how many tonnes of CO₂e?', unit: 't', min: 0, max: 1e6 },
  controls: [
    { id: 'region', label: 'Region (grid)', options: REGIONS, value: 'US_Avg' },
    { id: 'days', label: 'Duration (days)', values: [7, 14, 30, 60, 90], value: 30 },
    { id: 'budget', label: 'Carbon budget (t CO₂e)', values: [10, 25, 50, 100, 200, 500], value: 500 }
  ],
  request: s => Lab.plan('carbon', {
    workload: { model: 'Llama3_70B', mode: 'training', batch_size: 1024, seq_len: 4096 },
    hardware: { accelerator: 'DGX_H100', count: 1024 },
    parallelism: { tp: 8, pp: 4, microbatch: 1, recompute: 'selective', sequence_parallel: true },
    ops: { region: s.region, duration_days: s.days }
  }),
  metrics: [
    { key: 'carbon_t', label: 'Emissions', value: r => r.carbon_kg / 1000 },
    { key: 'energy_j', label: 'Facility energy' }, { key: 'water_l', label: 'Water (L)' },
    { key: 'cost_usd', label: 'Cost of the run' }, { key: 'mfu', label: 'MFU' }
  ],
  chart: {
    type: 'bar', knobControl: 'region', yLabel: 't CO₂e',
    sweep: s => ({ knob: 'ops.region', values: REGIONS }),
    y: [{ key: 'carbon_kg', label: 't CO₂e', scale: 1e-3 }]
  },
  failure: (r, s) => r.carbon_kg / 1000 > s.budget ? `Budget exceeded: ${(r.carbon_kg / 1000).toPrecision(3)} t CO₂e > ${s.budget} t. Move the run to a cleaner grid or shorten it.` : null,
  failurePreset: { region: 'Poland', budget: 50 },
  actual: r => r.carbon_kg / 1000,
  lesson: 'The same run emits 80× more on a coal-heavy grid than on hydro: where you train matters more than most kernel tuning.',
  equation: 'CO₂e = energy_IT · PUE · carbon intensity (g/kWh)',
  equationNote: 'Patterson et al., "Carbon Emissions and Large Neural Network Training", 2021; grid figures in the registry cite their sources.'
});
