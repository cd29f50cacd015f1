"""Predictions (BG/NBD, Gamma-Gamma)."""

ZH = {
    "predict_problem_no_buyers": "截止日之前没有成交客户，无法预测。",
    "predict_problem_few_repeat": "复购客户太少（少于 {n} 人），模型没有足够的信息：请改用“回购周期”估计，或等数据更多再看。",
    "predict_problem_no_convergence": "模型拟合没有收敛：数据不符合模型假设，预测不可靠，请改用“回购周期”估计。",
    "predict_cli_fit": "BG/NBD（{n} 位客户）：r={r} α={alpha} a={a} b={b}",
    "predict_cli_gg": "Gamma-Gamma：p={p} q={q} v={v}",
    "predict_cli_after": "截止日之后 {periods} 个{unit}：预测复购 {predicted} 次，实际 {actual} 次",
}

EN = {
    "predict_problem_no_buyers": "No buyer up to the as-of date: nothing to predict from.",
    "predict_problem_few_repeat": "Too few repeat buyers (fewer than {n}) for the models to learn from: use the usage-cycle estimate, or wait for more data.",
    "predict_problem_no_convergence": "The model fit did not converge: the data do not fit the model's assumptions and its predictions are not reliable; use the usage-cycle estimate.",
    "predict_cli_fit": "BG/NBD ({n} customers): r={r} alpha={alpha} a={a} b={b}",
    "predict_cli_gg": "Gamma-Gamma: p={p} q={q} v={v}",
    "predict_cli_after": "{periods} {unit}s after the as-of date: {predicted} repeat purchases predicted, {actual} made",
}
