'use strict';
const { roundCents, formatCents } = require('./money');
const assert = require('assert');

class ReportBuilder {
  constructor(rows) {
    this.rows = rows;
  }

  totalsByRegion() {
    const regions = [];
    for (const row of this.rows) {
      if (!regions.includes(row.region)) {
        regions.push(row.region);
      }
    }
    return regions.map((region) => ({
      region,
      total: roundCents(this.rows.filter((r) => r.region === region).reduce((sum, r) => sum + r.amount, 0)),
    }));
  }
}

module.exports = { ReportBuilder };
