#ifndef __ASM_SYSREG_DEFS_H
#define __ASM_SYSREG_DEFS_H

/* Generated file - do not edit */

{% for item in items -%}
{% if let Some(e) = item.encoding -%}
#define {{ "REG_{}"|format(item.name)|pad }}S{{ e.op0 }}_{{ e.op1 }}_C{{ e.crn }}_C{{ e.crm }}_{{ e.op2 }}
#define {{ "SYS_{}"|format(item.name)|pad }}sys_reg({{ e.op0 }}, {{ e.op1 }}, {{ e.crn }}, {{ e.crm }}, {{ e.op2 }})
#define {{ "SYS_{}_Op0"|format(item.name)|pad }}{{ e.op0 }}
#define {{ "SYS_{}_Op1"|format(item.name)|pad }}{{ e.op1 }}
#define {{ "SYS_{}_CRn"|format(item.name)|pad }}{{ e.crn }}
#define {{ "SYS_{}_CRm"|format(item.name)|pad }}{{ e.crm }}
#define {{ "SYS_{}_Op2"|format(item.name)|pad }}{{ e.op2 }}

{% endif -%}
{% for layout in item.layouts -%}
{% for f in layout.fields -%}
#define {{ "{}_{}"|format(layout.c_name, f.name)|pad }}GENMASK({{ f.bits.msb }}, {{ f.bits.lsb }})
#define {{ "{}_{}_MASK"|format(layout.c_name, f.name)|pad }}GENMASK({{ f.bits.msb }}, {{ f.bits.lsb }})
#define {{ "{}_{}_SHIFT"|format(layout.c_name, f.name)|pad }}{{ f.bits.lsb }}
#define {{ "{}_{}_WIDTH"|format(layout.c_name, f.name)|pad }}{{ f.bits.width() }}
{% if let Some(signed) = f.signed -%}
#define {{ "{}_{}_SIGNED"|format(layout.c_name, f.name)|pad }}{{ signed }}
{% endif -%}
{% for v in f.values -%}
#define {{ "{}_{}_{}"|format(layout.c_name, f.name, v.name)|pad }}UL({{ v.spelling }})
{% endfor %}
{% endfor -%}
{% if let Some(m) = layout.masks -%}
#define {{ "{}_RES0"|format(layout.c_name)|pad }}({{ m.res0 }})
#define {{ "{}_RES1"|format(layout.c_name)|pad }}({{ m.res1 }})
#define {{ "{}_UNKN"|format(layout.c_name)|pad }}({{ m.unkn }})

{% endif -%}
{% endfor -%}
{% if let Some(target) = item.fields_from -%}
/* For {{ item.name }} fields see {{ target }} */

{% endif -%}
{% endfor -%}
#endif /* __ASM_SYSREG_DEFS_H */
